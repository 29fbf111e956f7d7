"""libvips' ``hist_local``: every pixel equalized by the histogram of the
window around it, on a 2-D uint8 plane.

``padded`` is the plane extended as libvips extends it (mirrored, the plane
at offset ``(h // 2, w // 2)``, ``h - 1`` more rows and ``w`` more columns);
output pixel ``(y, x)`` counts the window ``padded[y : y + h, x : x + w]``
and reads its own level ``t = padded[y + h // 2, x + w // 2]``:

    out = levels[sum],  levels[s] = 255 * s / (w * h)   (integer division)
    sum = #{window pixels <= t}    (max_slope 0)
    sum = sum_{i <= t} min(hist[i], m) + (t + 1) * (sum_i max(hist[i] - m, 0)) / 256   (max_slope m > 0)

The window's histogram slides (Perreault and Hebert's median filter): a
histogram per column of the window's rows, moved down a row by removing one
pixel and adding one; along a row the window adds the entering column's
histogram and takes out the leaving one's. The 256 bins are 16 coarse bins
of 16 levels: the coarse window histogram slides at every pixel, the fine
bins of a coarse bin only when a pixel needs them (slid from the column
where they were last valid, or summed afresh from the window's columns when
that is nearer), so a pixel costs a few 16-lane loops instead of 256 bins.
With ``max_slope`` every bin is needed: all 256 slide.

Work comes in tasks: a strip of output columns times a band of output rows,
with the strip's column histograms (its columns plus ``w - 1``) per thread,
small enough for the core's cache. Histograms are flat int32 arrays indexed
with unsigned integers (no negative-index handling in the loops).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .bins import jit
from .lanes import add16, clipped16, over16, slide16, sum16

_inline = njit(cache=True, nogil=True, inline="always")

U = np.uint64
#: Levels per coarse bin (and coarse bins).
FINE = 16
BINS = 256


@jit
def equalize_tasks(padded, out, h, w, max_slope, levels, strip, band, strips, start, stop):
    # Tasks start..stop: task i is strip i % strips (output columns from
    # strip * (i % strips)) times band i // strips (output rows from band * ...).
    rows, cols = out.shape
    width = min(strip, cols) + w - 1
    columns_fine = np.zeros(width * BINS, np.int32)
    columns_coarse = np.zeros(width * FINE, np.int32)
    window_fine = np.zeros(BINS, np.int32)
    window_coarse = np.zeros(FINE, np.int32)
    valid_at = np.empty(FINE, np.int64)
    for task in range(start, stop):
        x0 = strip * (task % strips)
        y0 = band * (task // strips)
        x1 = min(x0 + strip, cols)
        y1 = min(y0 + band, rows)
        _count_columns(padded, x0, x1 - x0 + w - 1, y0, h, columns_fine, columns_coarse)
        for y in range(y0, y1):
            if y > y0:
                _move_columns_down(padded, x0, x1 - x0 + w - 1, y, h, columns_fine, columns_coarse)
            if max_slope > 0:
                _clipped_row(padded, out, h, w, max_slope, levels, x0, x1, y, columns_fine, window_fine)
            else:
                _row(
                    padded,
                    out,
                    h,
                    w,
                    levels,
                    x0,
                    x1,
                    y,
                    columns_fine,
                    columns_coarse,
                    window_fine,
                    window_coarse,
                    valid_at,
                )


@_inline
def _count_columns(padded, x0, n, y0, h, columns_fine, columns_coarse):
    # The histograms of columns x0 .. x0 + n of rows y0 .. y0 + h.
    columns_fine[: n * BINS] = 0
    columns_coarse[: n * FINE] = 0
    for r in range(y0, y0 + h):
        row = padded[r, x0 : x0 + n]
        for c in range(n):
            v = U(row[c])
            columns_fine[U(c) * U(BINS) + v] += 1
            columns_coarse[U(c) * U(FINE) + (v >> U(4))] += 1


@_inline
def _move_columns_down(padded, x0, n, y, h, columns_fine, columns_coarse):
    # Column histograms from rows y - 1 .. y + h - 1 to rows y .. y + h.
    leaving = padded[y - 1, x0 : x0 + n]
    entering = padded[y + h - 1, x0 : x0 + n]
    for c in range(n):
        old = U(leaving[c])
        new = U(entering[c])
        column = U(c)
        columns_fine[column * U(BINS) + old] -= 1
        columns_coarse[column * U(FINE) + (old >> U(4))] -= 1
        columns_fine[column * U(BINS) + new] += 1
        columns_coarse[column * U(FINE) + (new >> U(4))] += 1


@_inline
def _row(padded, out, h, w, levels, x0, x1, y, columns_fine, columns_coarse, window_fine, window_coarse, valid_at):
    # Output row y, columns x0 .. x1: the coarse window slides at every
    # pixel, a coarse bin's fine bins when the pixel's level falls in it.
    # Histograms are addressed in bytes (4 per count) for the 16-lane steps.
    window_coarse[:] = 0
    fine, coarse_window = window_fine.ctypes.data, window_coarse.ctypes.data
    columns, coarse_columns = columns_fine.ctypes.data, columns_coarse.ctypes.data
    column_bytes, coarse_bytes = U(4 * BINS), U(4 * FINE)
    for c in range(w):
        add16(coarse_window, coarse_columns + U(c) * coarse_bytes)
    valid_at[:] = -(1 << 40)  # no fine bins valid yet: every coarse bin's are summed afresh
    centre = padded[y + h // 2, x0 + w // 2 : x1 + w // 2]
    target = out[y, x0:x1]
    behind = U(w - 1)
    for j in range(x1 - x0):
        t = np.intp(centre[j])
        if j > 0:
            slide16(
                coarse_window,
                coarse_columns + (U(j) + behind) * coarse_bytes,
                coarse_columns + (U(j) - U(1)) * coarse_bytes,
            )
        coarse = t >> 4
        low = U(4 * FINE) * U(coarse)
        last = valid_at[coarse]
        if last != j:
            if j - last <= w // 2:
                for q in range(last + 1, j + 1):
                    slide16(
                        fine + low,
                        columns + (U(q) + behind) * column_bytes + low,
                        columns + (U(q) - U(1)) * column_bytes + low,
                    )
            else:
                window_fine[coarse * FINE : coarse * FINE + FINE] = 0
                for c in range(j, j + w):
                    add16(fine + low, columns + U(c) * column_bytes + low)
            valid_at[coarse] = j
        total = sum16(coarse_window, coarse) + sum16(fine + low, t - coarse * FINE + 1)
        target[j] = levels[total]


@_inline
def _clipped_row(padded, out, h, w, max_slope, levels, x0, x1, y, columns_fine, window):
    # Output row y with contrast limiting: the whole window histogram slides,
    # bins cut at max_slope, the excess spread evenly over the 256 bins and
    # summed up to the pixel's level (integer division), as libvips does.
    window[:] = 0
    bins, columns = window.ctypes.data, columns_fine.ctypes.data
    column_bytes = U(4 * BINS)
    for c in range(w):
        for lane in range(0, 4 * BINS, 4 * FINE):
            add16(bins + U(lane), columns + U(c) * column_bytes + U(lane))
    centre = padded[y + h // 2, x0 + w // 2 : x1 + w // 2]
    target = out[y, x0:x1]
    for j in range(x1 - x0):
        if j > 0:
            entering = columns + (U(j) + U(w - 1)) * column_bytes
            leaving = columns + (U(j) - U(1)) * column_bytes
            for lane in range(0, 4 * BINS, 4 * FINE):
                slide16(bins + U(lane), entering + U(lane), leaving + U(lane))
        t = np.intp(centre[j])
        over = 0
        below = 0
        for lane in range(0, 4 * BINS, 4 * FINE):
            over += over16(bins + U(lane), max_slope)
        top = U(4 * FINE) * U(t >> 4)
        for lane in range(0, 4 * FINE * (t >> 4), 4 * FINE):
            below += clipped16(bins + U(lane), max_slope, FINE)
        below += clipped16(bins + top, max_slope, (t & (FINE - 1)) + 1)
        target[j] = levels[below + (t + 1) * over // 256]
