"""ImageMagick 7's CLAHE (``CLAHEImage`` in ``MagickCore/enhance.c``) on a
16-bit working plane, in ImageMagick's own arithmetic.

``pixels`` is the plane already extended to whole tiles (``ny * th`` rows,
``nx * tw`` columns, edge pixels repeated); ``out`` receives the result on
the same grid. Per tile: a histogram of ``bins`` bins (value ``v`` in bin
``v // delta``, ``delta = 65535 // bins + 1``), clipped at ``limit`` with
ImageMagick's redistribution, mapped to ``trunc(65535 / tile_pixels * cdf)``;
then every pixel blends its four nearest tiles' mappings bilinearly in
float64, in ImageMagick's order, truncated.
"""

from __future__ import annotations

import numpy as np

from .bins import jit


@jit
def clahe_plane(pixels, th, tw, bins, limit, out):
    rows, cols = pixels.shape
    ny, nx = rows // th, cols // tw
    delta = (65535 // bins + 1) & 0xFFFF
    maps = np.zeros((ny, nx, bins), np.int64)
    hist = np.zeros(bins, np.int64)
    scale = 65535.0 / (tw * th)
    for ty in range(ny):
        for tx in range(nx):
            hist[:] = 0
            for y in range(ty * th, (ty + 1) * th):
                for x in range(tx * tw, (tx + 1) * tw):
                    hist[np.intp(pixels[y, x]) // delta] += 1
            _clip(hist, limit, bins)
            total = 0.0
            for i in range(bins):
                total += hist[i]
                maps[ty, tx, i] = min(np.int64(scale * total), 65535)
    top = 0
    for by in range(ny + 1):
        height, y0, y1 = th, by - 1, by
        if by == 0:
            height, y0, y1 = th >> 1, 0, 0
        elif by == ny:
            height, y0, y1 = (th + 1) >> 1, ny - 1, ny - 1
        left = 0
        for bx in range(nx + 1):
            width, x0, x1 = tw, bx - 1, bx
            if bx == 0:
                width, x0, x1 = tw >> 1, 0, 0
            elif bx == nx:
                width, x0, x1 = (tw + 1) >> 1, nx - 1, nx - 1
            _blend(pixels, out, top, left, height, width, delta, maps[y0, x0], maps[y0, x1], maps[y1, x0], maps[y1, x1])
            left += width
        top += height


@jit
def _blend(pixels, out, top, left, height, width, delta, q12, q22, q11, q21):
    # InterpolateCLAHE: rows weighted height .. 1 towards the upper tiles,
    # columns width .. 1 towards the left ones.
    reciprocal = 1.0 / (float(width) * height)
    for r in range(height):
        y = float(height - r)
        for c in range(width):
            x = float(width - c)
            b = np.intp(pixels[top + r, left + c]) // delta
            value = reciprocal * (
                y * (x * q12[b] + (float(width) - x) * q22[b])
                + (float(height) - y) * (x * q11[b] + (float(width) - x) * q21[b])
            )
            out[top + r, left + c] = np.uint16(np.int64(value) & 0xFFFF)


@jit
def _clip(hist, limit, bins):
    # ClipCLAHEHistogram, signed integer arithmetic as ImageMagick's ssize_t.
    excess_total = 0
    for i in range(bins):
        if hist[i] > limit:
            excess_total += hist[i] - limit
    step = excess_total // bins
    excess = limit - step
    for i in range(bins):
        if hist[i] > limit:
            hist[i] = limit
        elif hist[i] > excess:
            excess_total -= hist[i] - excess
            hist[i] = limit
        else:
            excess_total -= step
            hist[i] += step
    while True:
        previous = excess_total
        p = 0
        while excess_total != 0 and p < bins:
            step = _c_div(bins, excess_total)
            if step < 1:
                step = 1
            p = 0
            while p < bins and excess_total != 0:
                if hist[p] < limit:
                    hist[p] += 1
                    excess_total -= 1
                p += step
            p += 1
        if not (excess_total != 0 and excess_total < previous):
            break


@jit
def _c_div(numerator, denominator):
    # C's integer division (toward zero).
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator < 0) == (denominator < 0) else -quotient
