"""Lab kernels for luminance processing: OpenCV's 8-bit integer L*a*b* and
CIE L*a*b* in float64 (scikit-image's formulas) for 16-bit and float images.

Same conventions as :mod:`.colour`: images as pixel lines ``(x, xf, xr,
xs)``, planes as 1-D lines of ``rows * cols`` pixels, pixels ``start ..
stop`` in row-major order, ``red`` the sample index of red (blue: ``2 -
red``). A split computes L only; a merge recomputes a and b from the original
pixel. The tables and matrices come from :mod:`histeq._core.colour_lab`.

OpenCV's integer formulas run partly in floats, where that is exact: the XYZ
sums ``C . gamma(RGB) + 2**11`` stay below 2**23 (float32); ``a = DESCALE(500
(fX - fY) + 128 * 2**15, 15)`` is ``floor((fX - fY) * 500 / 2**15 + 128.5)``,
whose product needs at most 24 bits and whose sum is exact below 256, so
wherever the clamp to 0 .. 255 does not decide (b likewise with 200); the RGB
sums ``M_inv . XYZ + 2**13`` stay below 2**31 (float64). Fused multiply-adds
of exact terms change nothing.
"""

from __future__ import annotations

import numpy as np

from .bins import jit
from .colour import flat, fma, outside, run_pixels, segment

F = np.float32
_Q14 = 1.0 / 16384

# ------------------------------------------------ OpenCV's 8-bit integer Lab


@jit
def _lab_split_bytes(x, xf, xr, xs, red, gamma, m, l_of_y, plane, cols, start, stop):
    # L = l_of_y[DESCALE(Y row . gamma(R, G, B), 12)] (l_of_y: cv2's L of each
    # Y index, from its cube-root table).
    m3 = np.int64(m[3 + red])  # the Y row's coefficients in memory order
    m4 = np.int64(m[4])
    m5 = np.int64(m[5 - red])

    def run(xs):
        p = start
        while p < stop:
            r, c0, n = segment(p, stop, cols)
            line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
            target = plane[p : p + n]
            for i in range(n):
                s0 = np.int64(gamma[line[xs * i]])
                s1 = np.int64(gamma[line[xs * i + 1]])
                s2 = np.int64(gamma[line[xs * i + 2]])
                target[i] = l_of_y[np.uintp((m3 * s0 + m4 * s1 + m5 * s2 + 2048) >> 12)]
            p += n

    if xs == 3:
        run(3)
    else:
        run(4)


#: Pixels per block of the 8-bit Lab merge's passes (its buffers stay in L1).
_BLOCK = 256


@jit
def _lab_merge_bytes(x, xf, xr, xs, red, t, plane, cols, out, of, orr, os, start, stop):
    # OpenCV's RGB2Lab_b for a and b, then its Lab2RGBinteger with the
    # plane's L, in passes over blocks of pixels that alternate table lookups
    # (scalar) with arithmetic (vectorized): numba vectorizes no loop that
    # looks tables up, and one fused loop ran 1.5 - 2x slower.
    gamma, cbrt, m, y_of_l, x_of_la, z_of_lb, m_inv, inv_gamma = t
    blue = 2 - red
    # coefficients in memory order: columns of the forward matrix, rows of the inverse
    m0, m1, m2 = F(m[red]), F(m[1]), F(m[blue])
    m3, m4, m5 = F(m[3 + red]), F(m[4]), F(m[3 + blue])
    m6, m7, m8 = F(m[6 + red]), F(m[7]), F(m[6 + blue])
    n0, n1, n2 = np.float64(m_inv[3 * red]), np.float64(m_inv[3 * red + 1]), np.float64(m_inv[3 * red + 2])
    n3, n4, n5 = np.float64(m_inv[3]), np.float64(m_inv[4]), np.float64(m_inv[5])
    n6, n7, n8 = np.float64(m_inv[3 * blue]), np.float64(m_inv[3 * blue + 1]), np.float64(m_inv[3 * blue + 2])
    g = np.empty((3, _BLOCK), np.float32)
    f = np.empty((3, _BLOCK), np.float32)
    index = np.empty((3, _BLOCK), np.int32)
    xyz = np.empty((3, _BLOCK), np.int32)
    q = F(1.0 / 4096)

    def run(xs, os):
        p = start
        while p < stop:
            r, c0, n = segment(p, stop, cols)
            for b0 in range(0, n, _BLOCK):
                k = min(_BLOCK, n - b0)
                first = xf + r * xr + (c0 + b0) * xs
                line = x[first : first + k * xs]
                levels = plane[p + b0 : p + b0 + k]
                first = of + r * orr + (c0 + b0) * os
                target = out[first : first + k * os]
                for i in range(k):  # linear RGB * 2040, and Y * 2**14 of the new L
                    g[0, i] = gamma[line[xs * i]]
                    g[1, i] = gamma[line[xs * i + 1]]
                    g[2, i] = gamma[line[xs * i + 2]]
                    xyz[1, i] = y_of_l[levels[i]]
                for i in range(k):  # XYZ table indices: DESCALE(M . rgb, 12), positive: truncation
                    g0 = g[0, i]
                    g1 = g[1, i]
                    g2 = g[2, i]
                    index[0, i] = np.int32(fma(m0, g0, fma(m1, g1, fma(m2, g2, F(2048.0)))) * q)
                    index[1, i] = np.int32(fma(m3, g0, fma(m4, g1, fma(m5, g2, F(2048.0)))) * q)
                    index[2, i] = np.int32(fma(m6, g0, fma(m7, g1, fma(m8, g2, F(2048.0)))) * q)
                for i in range(k):  # f(X), f(Y), f(Z) * 2**15
                    f[0, i] = cbrt[index[0, i]]
                    f[1, i] = cbrt[index[1, i]]
                    f[2, i] = cbrt[index[2, i]]
                for i in range(k):  # 256 L + a and 256 L + b, a and b in float32 (module docstring)
                    row = np.int32(levels[i]) << 8
                    a = min(max(fma(f[0, i] - f[1, i], F(500.0 / 32768), F(128.5)), F(0.0)), F(255.5))
                    b = min(max(fma(f[1, i] - f[2, i], F(200.0 / 32768), F(128.5)), F(0.0)), F(255.5))
                    index[0, i] = row + np.int32(a)
                    index[2, i] = row + np.int32(b)
                for i in range(k):  # X, Z of the new L
                    xyz[0, i] = x_of_la[index[0, i]]
                    xyz[2, i] = z_of_lb[index[2, i]]
                for i in range(k):  # linear RGB * 4096: DESCALE(M_inv . xyz, 14), clamped
                    X = np.float64(xyz[0, i])
                    Y = np.float64(xyz[1, i])
                    Z = np.float64(xyz[2, i])
                    index[0, i] = np.int32(
                        min(max(np.floor(fma(n0, X, fma(n1, Y, fma(n2, Z, 8192.0))) * _Q14), 0.0), 4095.0)
                    )
                    index[1, i] = np.int32(
                        min(max(np.floor(fma(n3, X, fma(n4, Y, fma(n5, Z, 8192.0))) * _Q14), 0.0), 4095.0)
                    )
                    index[2, i] = np.int32(
                        min(max(np.floor(fma(n6, X, fma(n7, Y, fma(n8, Z, 8192.0))) * _Q14), 0.0), 4095.0)
                    )
                for i in range(k):  # sRGB bytes
                    target[os * i] = inv_gamma[index[0, i]]
                    target[os * i + 1] = inv_gamma[index[1, i]]
                    target[os * i + 2] = inv_gamma[index[2, i]]
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


def lab_split_bytes(lines: tuple, plane: np.ndarray, red: int, tables) -> None:
    """OpenCV's 8-bit L (0..255) of every pixel of a uint8 image into
    ``plane``; ``tables``: :class:`histeq._core.colour_lab.OpenCVLab`."""
    t = tables
    run_pixels(_lab_split_bytes, *plane.shape, *lines, red, t.gamma, t.to_xyz, t.l_of_y, flat(plane), plane.shape[1])


def lab_merge_bytes(lines: tuple, plane: np.ndarray, out_lines: tuple, red: int, tables) -> None:
    """``out`` = OpenCV's 8-bit Lab -> RGB of (``plane``, a and b of the image)."""
    t = tables
    merged = (t.gamma, t.cbrt, t.to_xyz, t.y_of_l, t.x_of_la, t.z_of_lb, t.to_rgb, t.inv_gamma)
    run_pixels(_lab_merge_bytes, *plane.shape, *lines, red, merged, flat(plane), plane.shape[1], *out_lines)


# --------------------------------------- CIE L*a*b* in float64 (scikit-image)


@jit
def _linear(v):
    # sRGB companding undone (scikit-image's rgb2xyz).
    if v > 0.04045:
        return ((v + 0.055) / 1.055) ** 2.4
    return v / 12.92


@jit
def _f(t):
    # CIE f(t) (scikit-image's xyz2lab, its 0.008856 and 7.787).
    if t > 0.008856:
        return np.cbrt(t)
    return 7.787 * t + 16.0 / 116.0


@jit
def _f_inv(t):
    # scikit-image's lab2xyz.
    if t > 0.2068966:
        return t**3.0
    return (t - 16.0 / 116.0) / 7.787


@jit
def _companded(v):
    # scikit-image's xyz2rgb, clipped to [0, 1].
    if v > 0.0031308:
        v = 1.055 * v ** (1 / 2.4) - 0.055
    else:
        v *= 12.92
    return min(max(v, 0.0), 1.0)


@jit
def _lab_split_cie(x, xf, xr, xs, red, scale, m, white, plane, cols, plane_scale, top, start, stop):
    # L* of every pixel; plane = L* * plane_scale, rounded and clipped to
    # 0 .. top for an integer plane (top > 0), as it is for a float one.
    # Returns the samples outside [0, 1].
    blue = 2 - red
    bad = 0
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
        target = plane[p : p + n]
        for i in range(n):
            R = np.float64(line[xs * i + red]) * scale
            G = np.float64(line[xs * i + 1]) * scale
            B = np.float64(line[xs * i + blue]) * scale
            bad += outside(R) + outside(G) + outside(B)
            R, G, B = _linear(R), _linear(G), _linear(B)
            L = 116.0 * _f((R * m[1, 0] + G * m[1, 1] + B * m[1, 2]) / white[1]) - 16.0
            if top > 0.0:
                target[i] = min(max(np.rint(L * plane_scale), 0.0), top)
            else:
                target[i] = L * plane_scale
        p += n
    return bad


@jit
def _lab_merge_cie(
    x,
    xf,
    xr,
    xs,
    red,
    scale,
    m,
    m_inv,
    white,
    plane,
    cols,
    plane_scale,
    out,
    of,
    orr,
    os,
    out_scale,
    integer,
    start,
    stop,
):
    # a* and b* of the pixel, L* = plane * plane_scale; lab2rgb; out = rgb *
    # out_scale (rounded for an ``integer`` out).
    blue = 2 - red
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
        source = plane[p : p + n]
        target = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
        for i in range(n):
            R = _linear(np.float64(line[xs * i + red]) * scale)
            G = _linear(np.float64(line[xs * i + 1]) * scale)
            B = _linear(np.float64(line[xs * i + blue]) * scale)
            fx = _f((R * m[0, 0] + G * m[0, 1] + B * m[0, 2]) / white[0])
            fy = _f((R * m[1, 0] + G * m[1, 1] + B * m[1, 2]) / white[1])
            fz = _f((R * m[2, 0] + G * m[2, 1] + B * m[2, 2]) / white[2])
            a = 500.0 * (fx - fy)
            b = 200.0 * (fy - fz)
            y = (np.float64(source[i]) * plane_scale + 16.0) / 116.0
            X = _f_inv(a / 500.0 + y) * white[0]
            Z = _f_inv(max(y - b / 200.0, 0.0)) * white[2]
            Y = _f_inv(y) * white[1]
            R = _companded(X * m_inv[0, 0] + Y * m_inv[0, 1] + Z * m_inv[0, 2]) * out_scale
            G = _companded(X * m_inv[1, 0] + Y * m_inv[1, 1] + Z * m_inv[1, 2]) * out_scale
            B = _companded(X * m_inv[2, 0] + Y * m_inv[2, 1] + Z * m_inv[2, 2]) * out_scale
            if integer:
                R, G, B = np.rint(R), np.rint(G), np.rint(B)
            target[os * i + red] = R
            target[os * i + 1] = G
            target[os * i + blue] = B
        p += n


def lab_split_cie(lines: tuple, plane: np.ndarray, red: int, scale: float, plane_scale: float, cie) -> int:
    """CIE L* of every pixel (samples times ``scale`` in [0, 1]) times
    ``plane_scale`` into ``plane`` (rounded and clipped for a uint16 plane);
    ``cie``: :class:`histeq._core.colour_lab.CIELab`. Returns how many
    samples lie outside [0, 1]."""
    top = float(np.iinfo(plane.dtype).max) if plane.dtype.kind == "u" else 0.0
    return run_pixels(
        _lab_split_cie,
        *plane.shape,
        *lines,
        red,
        float(scale),
        cie.to_xyz,
        cie.white,
        flat(plane),
        plane.shape[1],
        float(plane_scale),
        top,
    )


def lab_merge_cie(
    lines: tuple, plane: np.ndarray, out_lines: tuple, red: int, scale: float, plane_scale: float, out_scale: float, cie
) -> None:
    """``out`` = lab2rgb(``plane`` * ``plane_scale``, a* and b* of the image)
    * ``out_scale`` (rounded for an integer ``out``)."""
    run_pixels(
        _lab_merge_cie,
        *plane.shape,
        *lines,
        red,
        float(scale),
        cie.to_xyz,
        cie.to_rgb,
        cie.white,
        flat(plane),
        plane.shape[1],
        float(plane_scale),
        *out_lines,
        float(out_scale),
        out_lines[0].dtype.kind == "u",
    )
