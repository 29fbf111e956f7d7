"""numba kernels of the PNG codec for 16-bit colour: undoing the row filters
(decoder), choosing and applying them (encoder)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _paeth(left, up, up_left):
    estimate = left + up - up_left
    to_left, to_up, to_up_left = abs(estimate - left), abs(estimate - up), abs(estimate - up_left)
    if to_left <= to_up and to_left <= to_up_left:
        return left
    return up if to_up <= to_up_left else up_left


@njit(cache=True, nogil=True)
def unfilter(rows, bpp, out):
    """Undo PNG's per-row filters: ``rows`` (uint8, ``(height, 1 + stride)``,
    each row its filter type then its filtered bytes) into ``out`` (uint8,
    ``(height, stride)``); ``bpp`` bytes per pixel. Returns -1, or the first
    row whose filter type is not 0..4."""
    height, stride = out.shape
    for y in range(height):
        kind = rows[y, 0]
        line = rows[y, 1:]
        target = out[y]
        if kind > 4:
            return y
        for i in range(stride):
            left = int(target[i - bpp]) if i >= bpp else 0
            up = int(out[y - 1, i]) if y > 0 else 0
            up_left = int(out[y - 1, i - bpp]) if kind == 4 and y > 0 and i >= bpp else 0
            target[i] = (int(line[i]) + _predicted(kind, left, up, up_left)) & 255
    return -1


@njit(cache=True, nogil=True)
def _big_endian_bytes(samples, out):
    # The bytes of uint16 ``samples`` in PNG's (big-endian) order.
    for i in range(samples.size):
        out[2 * i] = samples[i] >> 8
        out[2 * i + 1] = samples[i] & 255


@njit(cache=True, nogil=True)
def _magnitude(residual):
    # |residual| of a filtered byte read as signed.
    byte = residual & 255
    return byte if byte < 128 else 256 - byte


@njit(cache=True, nogil=True)
def _predicted(kind, a, b, c):
    # What filter type ``kind`` predicts from the bytes left (a), up (b), up-left (c).
    if kind == 0:
        return np.int32(0)
    if kind == 1:
        return a
    if kind == 2:
        return b
    if kind == 3:
        return (a + b) >> 1
    return _paeth(a, b, c)


@njit(cache=True, nogil=True)
def _filter_sums(cur, prev, bpp, sums):
    # For each filter type, the sum of the magnitudes of the row's filtered
    # bytes. The first pixel (nothing to its left) apart, so that the loop
    # over the others has no branch; there the five predictions of _predicted
    # are spelled out in scalar sums, which vectorize (a loop over the types
    # calling _predicted took 1.6x as long).
    for kind in range(5):
        sums[kind] = 0
    zero = np.int32(0)
    for i in range(min(bpp, cur.size)):
        for kind in range(5):
            sums[kind] += _magnitude(np.int32(cur[i]) - _predicted(kind, zero, np.int32(prev[i]), zero))
    s0 = s1 = s2 = s3 = s4 = 0
    for i in range(bpp, cur.size):
        x, a, b, c = np.int32(cur[i]), np.int32(cur[i - bpp]), np.int32(prev[i]), np.int32(prev[i - bpp])
        s0 += _magnitude(x)
        s1 += _magnitude(x - a)
        s2 += _magnitude(x - b)
        s3 += _magnitude(x - ((a + b) >> 1))
        s4 += _magnitude(x - _paeth(a, b, c))
    sums[0] += s0
    sums[1] += s1
    sums[2] += s2
    sums[3] += s3
    sums[4] += s4


@njit(cache=True, nogil=True)
def _filter_row(kind, cur, prev, bpp, out):
    # The row's bytes under filter type ``kind``.
    zero = np.int32(0)
    for i in range(min(bpp, cur.size)):
        out[i] = (np.int32(cur[i]) - _predicted(kind, zero, np.int32(prev[i]), zero)) & 255
    for i in range(bpp, cur.size):
        a, b, c = np.int32(cur[i - bpp]), np.int32(prev[i]), np.int32(prev[i - bpp])
        out[i] = (np.int32(cur[i]) - _predicted(kind, a, b, c)) & 255


@njit(cache=True, nogil=True)
def filter_rows(pixels, bpp, rows, start, stop):
    """PNG's row filters for rows ``start .. stop`` of 16-bit samples.

    ``pixels`` is native uint16 of shape ``(height, width * planes)``; each row
    of ``rows`` (uint8, ``(height, 1 + 2 * width * planes)``) receives its filter
    type, then its filtered big-endian bytes. The type is libpng's choice: the
    one whose bytes, read as signed, have the least sum of magnitudes (the
    lowest type on ties). Rows depend on the pixels only, so chunks of rows can
    be filtered on several threads.
    """
    stride = rows.shape[1] - 1
    cur = np.zeros(stride, np.uint8)
    prev = np.zeros(stride, np.uint8)  # above the first row: zeros
    if start > 0:
        _big_endian_bytes(pixels[start - 1], prev)
    sums = np.zeros(5, np.int64)
    for y in range(start, stop):
        _big_endian_bytes(pixels[y], cur)
        _filter_sums(cur, prev, bpp, sums)
        kind = np.argmin(sums)
        rows[y, 0] = kind
        _filter_row(kind, cur, prev, bpp, rows[y, 1:])
        cur, prev = prev, cur
