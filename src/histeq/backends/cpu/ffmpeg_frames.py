"""ffmpeg's ``histeq`` filter on 8-bit frames: the luma histogram, and every
pixel's red, green and blue scaled by ``lut[luma] / luma``.

Pixels are a contiguous byte line, pixel ``i``'s samples from
``line[i * step]`` (as a 2-D ``(pixels, step)`` array for the serial
antibanding pass); ``red``, ``green``, ``blue`` are sample offsets, unsigned
(all 0 for grey pixels, whose luma is their level).
``luma = (55 r + 182 g + 19 b) >> 8``.

Without antibanding the output of a pixel depends on its samples alone, and
the per-frame tables that :func:`apply_frames` reads replace the filter's
three divisions per pixel (:func:`frame_tables`).
With antibanding (:func:`apply_dithered`) the LUT value of each pixel is
drawn from the filter's linear congruential generator, whose state runs
through the frame in raster order: one serial pass, the filter's own
arithmetic per pixel.
"""

from __future__ import annotations

import numpy as np

from .bins import jit

U = np.uint64

#: The filter's generator: Numerical Recipes' LCG, seeded per frame.
LCG_A = 4096
LCG_C = 150889
LCG_M = 714025
LCG_SEED = 739187


@jit
def count_luma(line, step, red, green, blue, mask, hist, start, stop):
    # hist[k, luma] += 1 for pixels start..stop of the byte line (pixel i's
    # samples from line[i * step]; where mask, if it has any entry), pixel i
    # counted in the k = i % 4 histogram (no chain of increments of one bin).
    masked = mask.size > 0
    size = U(step)
    for i in range(start, stop):
        if masked and not mask[i]:
            continue
        at = U(i) * size
        luma = (U(55) * U(line[at + red]) + U(182) * U(line[at + green]) + U(19) * U(line[at + blue])) >> U(8)
        hist[U(i) & U(3), luma] += 1


@jit
def apply_frames(line, step, red, green, blue, scaled, clamped, first_clamped, out, start, stop):
    # Antibanding none: every pixel of the byte line through the per-frame
    # tables (flat: table[luma or m << 8 | sample]).
    size = U(step)
    for i in range(start, stop):
        at = U(i) * size
        r = line[at + red]
        g = line[at + green]
        b = line[at + blue]
        luma = (U(55) * U(r) + U(182) * U(g) + U(19) * U(b)) >> U(8)
        top = U(max(r, g, b))
        if luma == 0:
            r = g = b = 0
        elif top >= first_clamped[luma]:
            row = top << U(8)
            r = clamped[row | U(r)]
            g = clamped[row | U(g)]
            b = clamped[row | U(b)]
        else:
            row = luma << U(8)
            r = scaled[row | U(r)]
            g = scaled[row | U(g)]
            b = scaled[row | U(b)]
        out[at + red] = r
        out[at + green] = g
        out[at + blue] = b


@jit
def frame_tables(lut):
    # The tables of apply_frames for one frame's LUT (int64, 256 values; the
    # filter keeps |lut| < 5000, so m * lut never wraps and the clamp test
    # is monotonic in m): scaled[luma, c] = c * lut[luma] / luma in 32-bit
    # unsigned arithmetic (a byte), clamped[m, c] = c * 255 / m, and
    # first_clamped[luma], the least m with m * lut[luma] / luma > 255 (256: none).
    scaled = np.zeros(256 * 256, np.uint8)
    clamped = np.zeros(256 * 256, np.uint8)
    first_clamped = np.full(256, 256, np.uint64)
    mask32 = np.int64(0xFFFFFFFF)
    for luma in range(1, 256):
        value = lut[luma] & mask32
        for c in range(256):
            scaled[luma << 8 | c] = ((c * value) & mask32) // luma & 255
            clamped[luma << 8 | c] = (c * 255 // luma) & 255
        for m in range(256):
            if _c_div(m * lut[luma], luma) > 255:
                first_clamped[luma] = m
                break
    return scaled, clamped, first_clamped


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
