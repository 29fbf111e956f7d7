"""ffmpeg's ``histeq`` filter on 8-bit frames: the luma histogram, and every
pixel's red, green and blue scaled by ``lut[luma] / luma``.

Pixels are the rows of a 2-D uint8 array ``(pixels, samples)`` of any
strides; ``red``, ``green``, ``blue`` are sample indices (all 0 for grey
pixels, whose luma is their level). ``luma = (55 r + 182 g + 19 b) >> 8``.

Without antibanding the output of a pixel depends on its samples alone, and
the per-frame tables that :func:`apply_frames` reads replace the filter's
three divisions per pixel: ``scaled[luma, c] = c * lut[luma] / luma`` (32-bit
unsigned, a byte), ``clamped[m, c] = c * 255 / m`` and ``first_clamped[luma]``,
the smallest ``m = max(r, g, b)`` for which ``m * lut[luma] / luma > 255``.
With antibanding (:func:`apply_dithered`) the LUT value of each pixel is
drawn from the filter's linear congruential generator, whose state runs
through the frame in raster order: one serial pass, the filter's own
arithmetic per pixel.
"""

from __future__ import annotations

import numpy as np

from .bins import jit

#: The filter's generator: Numerical Recipes' LCG, seeded per frame.
LCG_A = 4096
LCG_C = 150889
LCG_M = 714025
LCG_SEED = 739187


@jit
def _luma(pixels, i, red, green, blue):
    return (55 * np.int64(pixels[i, red]) + 182 * np.int64(pixels[i, green]) + 19 * np.int64(pixels[i, blue])) >> 8


@jit
def count_luma(pixels, red, green, blue, mask, hist, start, stop):
    # hist[luma] += 1 for pixels start..stop (where mask, if it has any entry).
    masked = mask.size > 0
    for i in range(start, stop):
        if masked and not mask[i]:
            continue
        hist[_luma(pixels, i, red, green, blue)] += 1


@jit
def apply_frames(pixels, red, green, blue, scaled, clamped, first_clamped, out, start, stop):
    # Antibanding none: every pixel through the per-frame tables.
    for i in range(start, stop):
        r = pixels[i, red]
        g = pixels[i, green]
        b = pixels[i, blue]
        luma = (55 * np.int64(r) + 182 * np.int64(g) + 19 * np.int64(b)) >> 8
        top = max(r, g, b)
        if luma == 0:
            r = g = b = 0
        elif top >= first_clamped[luma]:
            r = clamped[top, r]
            g = clamped[top, g]
            b = clamped[top, b]
        else:
            r = scaled[luma, r]
            g = scaled[luma, g]
            b = scaled[luma, b]
        out[i, red] = r
        out[i, green] = g
        out[i, blue] = b


@jit
def apply_dithered(pixels, red, green, blue, lut, weak, out):
    # Antibanding weak or strong, all pixels in order (the generator's state
    # runs through them). C's int and unsigned int arithmetic as the filter's.
    jran = np.int64(LCG_SEED)
    mask32 = np.int64(0xFFFFFFFF)
    for i in range(pixels.shape[0]):
        r = np.int64(pixels[i, red])
        g = np.int64(pixels[i, green])
        b = np.int64(pixels[i, blue])
        luma = (55 * r + 182 * g + 19 * b) >> 8
        if luma == 0:
            out[i, red] = 0
            out[i, green] = 0
            out[i, blue] = 0
            continue
        value = lut[luma]
        if weak:
            low = _c_half(value + lut[luma - 1])
            high = _c_half(value + lut[luma + 1]) if luma < 255 else value
        else:
            low = lut[luma - 1]
            high = lut[luma + 1] if luma < 255 else value
        if low != high:
            jran = (jran * LCG_A + LCG_C) % LCG_M
            step = (((high - low + 1) & mask32) * jran & mask32) // LCG_M
            value = _int32(low + step)
        top = max(r, g, b)
        if _c_div(_int32(top * value), luma) > 255:
            r = r * 255 // top
            g = g * 255 // top
            b = b * 255 // top
        else:
            r = (r * (value & mask32) & mask32) // luma
            g = (g * (value & mask32) & mask32) // luma
            b = (b * (value & mask32) & mask32) // luma
        out[i, red] = r & 255
        out[i, green] = g & 255
        out[i, blue] = b & 255


@jit
def _c_half(value):
    # C's int division by 2 (toward zero).
    return -((-value) // 2) if value < 0 else value // 2


@jit
def _c_div(numerator, denominator):
    # C's int division by a positive int (toward zero).
    if numerator < 0:
        return -((-numerator) // denominator)
    return numerator // denominator


@jit
def _int32(value):
    # An int64 as C's 32-bit int stores it (two's complement wrap).
    value &= np.int64(0xFFFFFFFF)
    return value - np.int64(1 << 32) if value >= np.int64(1 << 31) else value
