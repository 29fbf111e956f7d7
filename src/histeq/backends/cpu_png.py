"""numba kernel of the PNG decoder for 16-bit colour: undoing the row filters."""

from __future__ import annotations

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
            if kind == 0:
                predicted = 0
            elif kind == 1:
                predicted = left
            elif kind == 2:
                predicted = up
            elif kind == 3:
                predicted = (left + up) >> 1
            else:
                up_left = int(out[y - 1, i - bpp]) if y > 0 and i >= bpp else 0
                predicted = _paeth(left, up, up_left)
            target[i] = (int(line[i]) + predicted) & 255
    return -1
