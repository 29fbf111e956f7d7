"""Colour kernels for luminance processing: the shared conventions and YCrCb
(HSV: :mod:`.colour_hsv`, Lab: :mod:`.colour_lab`).

Images reach the kernels as *pixel lines*: a 1-D C-contiguous buffer ``x``
holding rows of interleaved samples, row ``r`` starting at element ``xf + r *
xr`` (``xr`` of any sign), a pixel every ``xs`` elements (3: RGB; 4: the
colour part of RGBA, the 4th sample never touched), the red sample at offset
``red`` (0 or 2) and the blue one at ``2 - red``. Output images (``out``) come
the same way (``of``, ``orr``, ``os``); planes as 1-D C-contiguous lines of
``rows * cols`` pixels (the wrappers take them 2-D). A kernel works on
pixels ``start .. stop`` of the row-major pixel order. Pixel steps are
compile-time constants (one inlined loop per pair of steps) and the channel
order a loop-invariant select: with unit-stride rows and constant offsets
LLVM vectorizes the interleaved loads and stores (numba's multi-dimensional
indexing does not: 5-10x slower).

A split computes the luminance plane only; a merge recomputes the chroma from
the original pixel, puts the new luminance in and converts back, so nothing
but the plane is ever stored (and ``out`` may be the image itself: each pixel
is read before it is written).

OpenCV's 14-bit YCrCb formulas (``color_yuv.simd.hpp``) run in float32 for
uint8 images: every product, sum and ``DESCALE`` (``(v + 2**13) >> 14`` as
``floor(v / 2**14 + 0.5)``) is exact there, since no intermediate needs more
than 23 bits, so fused multiply-adds (:func:`fma`) change nothing and save
instructions; float32 vectorizes where numba's int64 arithmetic does not.
uint16 images use int64. float32 images take OpenCV's float formulas with
its fused multiply-adds in its order, which :func:`fma` makes bit-identical.
No ``fastmath``: nothing may be reassociated.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .._threads import run_chunks
from .bins import jit

F = np.float32
# OpenCV's YCrCb coefficients: 14-bit integers (over 2**14 as float32 for
# uint8, exact) and floats (BT.601).
_Y_R, _Y_G, _Y_B = 4899, 9617, 1868
_CR_I, _CB_I = 11682, 9241
_CR2R_I, _CR2G_I, _CB2G_I, _CB2B_I = 22987, -11698, -5636, 29049
_Q = 1.0 / 16384
_Y_RF, _Y_GF, _Y_BF = 0.299, 0.587, 0.114
_CR_F, _CB_F = 0.713, 0.564
_CR2R_F, _CR2G_F, _CB2G_F, _CB2B_F = 1.403, -0.714, -0.344, 1.773


def run_pixels(kernel, rows: int, cols: int, *args) -> int:
    """Run ``kernel(*args, start, stop)`` over the ``rows * cols`` pixels on
    all threads; the sum of what the chunks return (counts of bad samples;
    kernels that return nothing count 0)."""
    n = rows * cols
    if n == 0:
        return 0
    return sum(r or 0 for r in run_chunks(kernel, n, *args))


def flat(plane: np.ndarray) -> np.ndarray:
    """A C-contiguous plane as the 1-D line kernels read and write (a view)."""
    if not plane.flags.c_contiguous:
        raise ValueError("kernels need C-contiguous planes")
    return plane.reshape(-1)


@jit
def segment(p, stop, cols):
    # The run of pixels from p on within its row: (row, first column, count).
    r = p // cols
    c0 = p - r * cols
    return r, c0, min(cols - c0, stop - p)


@intrinsic
def _fma(typingctx, a, b, c):
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, signature, args):
        kind = args[0].type
        name = "llvm.fma.f32" if kind == ir.FloatType() else "llvm.fma.f64"
        return builder.call(builder.module.declare_intrinsic(name, [], ir.FunctionType(kind, [kind] * 3)), args)

    return a(a, b, c), codegen


#: ``fma(a, b, c)``: ``a * b + c`` rounded once, for three floats of one type
#: (LLVM's ``llvm.fma``: the CPU's fused multiply-add, or libm's ``fma`` where
#: it has none; vectorizes). Typed ``Any``: numba's stubs count an
#: intrinsic's typing context as an argument.
fma: Any = _fma


@jit
def outside(v):
    # 1 for a float sample outside [0, 1] (NaN included), else 0.
    return 0 if v >= 0.0 and v <= 1.0 else 1


# --------------------------------------------------------------- YCrCb


@jit
def _ycrcb_split_bytes(x, xf, xr, xs, red, plane, cols, start, stop):
    # Y = DESCALE(4899 R + 9617 G + 1868 B, 14), in exact float32.
    kr = F(_Y_R * _Q) if red == 0 else F(_Y_B * _Q)  # coefficients in memory order
    kb = F(_Y_B * _Q) if red == 0 else F(_Y_R * _Q)
    half = F(0.5)

    def run(xs):
        p = start
        while p < stop:
            r, c0, n = segment(p, stop, cols)
            line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
            target = plane[p : p + n]
            for i in range(n):
                v = fma(F(line[xs * i]), kr, fma(F(line[xs * i + 1]), F(_Y_G * _Q), fma(F(line[xs * i + 2]), kb, half)))
                target[i] = np.uint8(v)  # truncation: floor of a positive value
            p += n

    if xs == 3:
        run(3)
    else:
        run(4)


@jit
def _ycrcb_merge_bytes(x, xf, xr, xs, red, plane, cols, out, of, orr, os, start, stop):
    # cv2's forward conversion, then its inverse with the plane's Y, in exact
    # float32 (module docstring) and simplified where uint8 samples allow:
    # with cr = Cr - 128 = min(floor((R - Y) * 11682 / 2**14 + 0.5), 127)
    # (R - Y lies in -179 .. 179, so only Cr = 256 saturates) and
    # cb = Cb - 128 = floor((B - Y) * 9241 / 2**14 + 0.5) (in -127 .. 127),
    # R' = clamp(Y' + DESCALE(cr * 22987)) = clamp(floor(Y' + 0.5 + cr * 22987 / 2**14)).
    swap = red != 0
    zero = np.int32(0)
    top = np.int32(255)
    half = F(0.5)

    def run(xs, os):
        p = start
        while p < stop:
            r, c0, n = segment(p, stop, cols)
            line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
            source = plane[p : p + n]
            target = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
            for i in range(n):
                s0 = F(line[xs * i])
                G = F(line[xs * i + 1])
                s2 = F(line[xs * i + 2])
                R = s2 if swap else s0
                B = s0 if swap else s2
                Y = np.floor(fma(R, F(_Y_R * _Q), fma(G, F(_Y_G * _Q), fma(B, F(_Y_B * _Q), half))))
                cr = min(np.floor(fma(R - Y, F(_CR_I * _Q), half)), F(127.0))
                cb = np.floor(fma(B - Y, F(_CB_I * _Q), half))
                Y = F(source[i]) + half
                # truncation is floor wherever the clamp to 0 .. 255 keeps the value
                R = min(max(np.int32(fma(cr, F(_CR2R_I * _Q), Y)), zero), top)
                G = min(max(np.int32(fma(cb, F(_CB2G_I * _Q), fma(cr, F(_CR2G_I * _Q), Y))), zero), top)
                B = min(max(np.int32(fma(cb, F(_CB2B_I * _Q), Y)), zero), top)
                target[os * i] = np.uint8(B if swap else R)
                target[os * i + 1] = np.uint8(G)
                target[os * i + 2] = np.uint8(R if swap else B)
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
def _ycrcb_split_words(x, xf, xr, xs, red, plane, cols, start, stop):
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
        target = plane[p : p + n]
        for i in range(n):
            R = np.int64(line[xs * i + red])
            G = np.int64(line[xs * i + 1])
            B = np.int64(line[xs * i + 2 - red])
            target[i] = (_Y_R * R + _Y_G * G + _Y_B * B + 8192) >> 14
        p += n


@jit
def _ycrcb_merge_words(x, xf, xr, xs, red, plane, cols, out, of, orr, os, start, stop):
    # uint16 (half 32768): OpenCV's integer formulas in int64.
    half = 32768
    top = 65535
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
        source = plane[p : p + n]
        target = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
        for i in range(n):
            R = np.int64(line[xs * i + red])
            G = np.int64(line[xs * i + 1])
            B = np.int64(line[xs * i + 2 - red])
            Y = (_Y_R * R + _Y_G * G + _Y_B * B + 8192) >> 14
            cr = min(max(((R - Y) * _CR_I + half * 16384 + 8192) >> 14, 0), top) - half
            cb = min(max(((B - Y) * _CB_I + half * 16384 + 8192) >> 14, 0), top) - half
            Y = np.int64(source[i])
            target[os * i + red] = min(max(Y + ((cr * _CR2R_I + 8192) >> 14), 0), top)
            target[os * i + 1] = min(max(Y + ((cb * _CB2G_I + cr * _CR2G_I + 8192) >> 14), 0), top)
            target[os * i + 2 - red] = min(max(Y + ((cb * _CB2B_I + 8192) >> 14), 0), top)
        p += n


@jit
def _ycrcb32(s0, s1, s2, red):
    # cv2's float32 SIMD forward conversion: Y = fma(s0, k0, fma(s1, k1, s2 * k2))
    # with the samples and coefficients in memory order, Cr and Cb fused too
    # (v_fma, one rounding each).
    k0 = F(_Y_RF) if red == 0 else F(_Y_BF)
    k2 = F(_Y_BF) if red == 0 else F(_Y_RF)
    y = fma(s0, k0, fma(s1, F(_Y_GF), s2 * k2))
    R = s0 if red == 0 else s2
    B = s2 if red == 0 else s0
    return y, fma(R - y, F(_CR_F), F(0.5)), fma(B - y, F(_CB_F), F(0.5))


@jit
def _ycrcb_split_f32(x, xf, xr, xs, red, plane, cols, start, stop):
    # cv2's fused float32 arithmetic. Returns the samples outside [0, 1].
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
            bad += outside(s0) + outside(s1) + outside(s2)
            target[i] = _ycrcb32(s0, s1, s2, red)[0]
        p += n
    return bad


@jit
def _ycrcb_merge_f32(x, xf, xr, xs, red, plane, cols, out, of, orr, os, start, stop):
    half = F(0.5)
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
        source = plane[p : p + n]
        target = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
        for i in range(n):
            _, cr, cb = _ycrcb32(line[xs * i], line[xs * i + 1], line[xs * i + 2], red)
            y = source[i]
            cr = cr - half  # float32, as cv2's v_sub
            cb = cb - half
            target[os * i + 2 - red] = fma(cb, F(_CB2B_F), y)
            target[os * i + 1] = fma(cr, F(_CR2G_F), fma(cb, F(_CB2G_F), y))
            target[os * i + red] = fma(cr, F(_CR2R_F), y)
        p += n


@jit
def _ycrcb_split_f64(x, xf, xr, xs, red, plane, cols, start, stop):
    # cv2's coefficients in plain float64 arithmetic.
    bad = 0
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
        target = plane[p : p + n]
        for i in range(n):
            R = line[xs * i + red]
            G = line[xs * i + 1]
            B = line[xs * i + 2 - red]
            bad += outside(R) + outside(G) + outside(B)
            target[i] = _Y_RF * R + _Y_GF * G + _Y_BF * B
        p += n
    return bad


@jit
def _ycrcb_merge_f64(x, xf, xr, xs, red, plane, cols, out, of, orr, os, start, stop):
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
        source = plane[p : p + n]
        target = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
        for i in range(n):
            R = line[xs * i + red]
            B = line[xs * i + 2 - red]
            y = _Y_RF * R + _Y_GF * line[xs * i + 1] + _Y_BF * B
            cr = ((R - y) * _CR_F + 0.5) - 0.5  # Cr as cv2 stores it, less its offset
            cb = ((B - y) * _CB_F + 0.5) - 0.5
            y = source[i]
            target[os * i + 2 - red] = y + cb * _CB2B_F
            target[os * i + 1] = y + cb * _CB2G_F + cr * _CR2G_F
            target[os * i + red] = y + cr * _CR2R_F
        p += n


_YCRCB_SPLIT = {"u1": _ycrcb_split_bytes, "u2": _ycrcb_split_words, "f4": _ycrcb_split_f32, "f8": _ycrcb_split_f64}
_YCRCB_MERGE = {"u1": _ycrcb_merge_bytes, "u2": _ycrcb_merge_words, "f4": _ycrcb_merge_f32, "f8": _ycrcb_merge_f64}


def ycrcb_split(lines: tuple, plane: np.ndarray, red: int) -> int:
    """OpenCV's YCrCb Y of every pixel into ``plane``. ``lines``: ``(x, xf,
    xr, xs)``, see the module docstring. Returns how many float samples lie
    outside [0, 1] (0 for integer images)."""
    kernel = _YCRCB_SPLIT[lines[0].dtype.str[1:]]
    return run_pixels(kernel, *plane.shape, *lines, red, flat(plane), plane.shape[1])


def ycrcb_merge(lines: tuple, plane: np.ndarray, out_lines: tuple, red: int) -> None:
    """``out`` = OpenCV's YCrCb -> RGB of (``plane``, Cr and Cb of the image)."""
    kernel = _YCRCB_MERGE[lines[0].dtype.str[1:]]
    run_pixels(kernel, *plane.shape, *lines, red, flat(plane), plane.shape[1], *out_lines)
