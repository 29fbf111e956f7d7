"""HSV kernels for luminance processing: V = max(R, G, B), and each pixel
scaled so that its max becomes the new V.

Conventions (pixel lines, planes, ``start .. stop``): :mod:`.colour`. The
channel order does not matter here.
"""

from __future__ import annotations

import numpy as np

from .bins import jit
from .colour import F, flat, outside, run_pixels, segment


@jit
def _max_split(x, xf, xr, xs, plane, cols, start, stop):
    # V = max(R, G, B); counts float samples outside [0, 1].
    check = x.itemsize >= 4  # float32 / float64 images

    def run(xs):
        bad = 0
        p = start
        while p < stop:
            r, c0, n = segment(p, stop, cols)
            line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
            target = plane[p : p + n]
            for i in range(n):
                s0 = line[xs * i]
                s1 = line[xs * i + 1]
                s2 = line[xs * i + 2]
                if check:
                    bad += outside(s0) + outside(s1) + outside(s2)
                target[i] = max(s0, max(s1, s2))
            p += n
        return bad

    if xs == 3:
        return run(3)
    return run(4)


@jit
def _scaled(s0, s1, s2, new):
    # (s0, s1, s2) * new / max, rounded half to even; black -> grey ``new``.
    # uint8 samples in float32: s * new < 2**24 is exact, and a correctly
    # rounded quotient lands on a half only when it is one (halves lie at
    # least 1 / (2 * 255) from other quotients, float32's error is below
    # 255 * 2**-24), so rint gives the exact rounding. uint16 in float64
    # likewise.
    v = max(s0, max(s1, s2))
    if v == 0:
        return new, new, new
    return np.rint(s0 * new / v), np.rint(s1 * new / v), np.rint(s2 * new / v)


@jit
def _hsv_merge_bytes(x, xf, xr, xs, plane, cols, out, of, orr, os, start, stop):
    # Every sample scaled by V'/V, rounded half to even, in exact float32.

    def run(xs, os):
        p = start
        while p < stop:
            r, c0, n = segment(p, stop, cols)
            line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
            source = plane[p : p + n]
            target = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
            for i in range(n):
                a, b, c = _scaled(F(line[xs * i]), F(line[xs * i + 1]), F(line[xs * i + 2]), F(source[i]))
                target[os * i] = np.uint8(a)
                target[os * i + 1] = np.uint8(b)
                target[os * i + 2] = np.uint8(c)
            p += n

    if xs == 3:
        if os == 3:
            run(3, 3)
        else:
            run(3, 4)
    elif os == 3:
        run(4, 3)
    else:
        run(4, 4)


@jit
def _hsv_merge_words(x, xf, xr, xs, plane, cols, out, of, orr, os, start, stop):
    # uint16: as _hsv_merge_bytes in float64.
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
        source = plane[p : p + n]
        target = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
        for i in range(n):
            a, b, c = _scaled(
                np.float64(line[xs * i]),
                np.float64(line[xs * i + 1]),
                np.float64(line[xs * i + 2]),
                np.float64(source[i]),
            )
            target[os * i] = np.uint16(a)
            target[os * i + 1] = np.uint16(b)
            target[os * i + 2] = np.uint16(c)
        p += n


@jit
def _hsv_merge_float(x, xf, xr, xs, scale, plane, cols, out, of, orr, os, start, stop):
    # c' = (c * scale) / (V * scale) * V' in float64: the largest sample
    # becomes V' exactly; black -> grey V'. ``scale``: 1 for floats, 1 / max
    # for integers (scikit-image's img_as_float).
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
        source = plane[p : p + n]
        target = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
        for i in range(n):
            s0 = np.float64(line[xs * i]) * scale
            s1 = np.float64(line[xs * i + 1]) * scale
            s2 = np.float64(line[xs * i + 2]) * scale
            v = max(s0, max(s1, s2))
            new = np.float64(source[i])
            if v == 0.0:
                s0 = s1 = s2 = v = 1.0
            target[os * i] = s0 / v * new
            target[os * i + 1] = s1 / v * new
            target[os * i + 2] = s2 / v * new
        p += n


def hsv_split(lines: tuple, plane: np.ndarray) -> int:
    """``plane`` = max(R, G, B) (HSV's V). Returns how many float samples lie
    outside [0, 1] (0 for integer images)."""
    return run_pixels(_max_split, *plane.shape, *lines, flat(plane), plane.shape[1])


def hsv_merge(lines: tuple, plane: np.ndarray, out_lines: tuple, scale: float = 1.0) -> None:
    """``out`` = the image scaled per pixel so that its max becomes ``plane``.

    Integer images into an integer ``out``: exact rounding, ties to even.
    Float images, or a float ``out`` (``scale`` then converts integer samples
    to [0, 1]): float64 arithmetic, rounded once into ``out``'s dtype.
    """
    if lines[0].dtype.kind == "f" or out_lines[0].dtype.kind == "f":
        run_pixels(_hsv_merge_float, *plane.shape, *lines, float(scale), flat(plane), plane.shape[1], *out_lines)
    else:
        kernel = _hsv_merge_bytes if lines[0].dtype.itemsize == 1 else _hsv_merge_words
        run_pixels(kernel, *plane.shape, *lines, flat(plane), plane.shape[1], *out_lines)
