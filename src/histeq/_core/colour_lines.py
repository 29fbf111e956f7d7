"""How colour conversions walk an image: blocks of rows, and pixel lines.

Kernels read a colour image as *pixel lines* (see
:mod:`histeq.backends.cpu.colour`): rows of interleaved samples, a pixel
every 3 or 4 samples (RGB, or the colour part of RGBA), any row stride. An
N-D image ``(..., 3)`` becomes ``(rows, cols, 3)`` by merging its leading
axes when their strides allow (else it is walked one 2-D slice at a time),
and layouts without pixel lines (channels not adjacent, columns skipped) are
copied once. Pure numpy: views and strides, no pixel is computed here.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

#: A pixel line as kernels take it: (1-D buffer, offset of row 0, row step,
#: pixel step), in elements.
Lines = tuple[np.ndarray, int, int, int]


def c_ordered(array: np.ndarray) -> np.ndarray:
    """``array``, or a C-ordered copy (np.ascontiguousarray makes 0-d arrays 1-d)."""
    return array if array.flags.c_contiguous else array.copy(order="C")


def with_lines(image: np.ndarray) -> np.ndarray:
    """``image``, or a C-ordered copy when some block has no pixel lines."""
    if all(pixel_lines(x) is not None for (x,) in blocks((image,), image.ndim - 1)):
        return image
    return np.ascontiguousarray(image)


def blocks(arrays: tuple[np.ndarray, ...], grid: int) -> list[tuple[np.ndarray, ...]]:
    """Views of ``arrays`` (which share their first ``grid`` axes, the pixel
    grid) with the grid as ``(rows, cols)``: one tuple when every array's
    leading axes can be merged without a copy, else one per 2-D slice."""
    views = [_rows(a, grid) for a in arrays]
    if all(v is not None for v in views):
        return [tuple(v for v in views if v is not None)]
    return [tuple(a[index] for a in arrays) for index in np.ndindex(*arrays[0].shape[: grid - 2])]


def _rows(a: np.ndarray, grid: int) -> np.ndarray | None:
    """``a`` with its first ``grid`` axes as two, ``(rows, cols)``: a view, or
    None when the leading axes are not evenly strided."""
    if grid < 2:
        return a.reshape((1,) * (2 - grid) + a.shape)
    if grid == 2:
        return a
    lead = [(n, s) for n, s in zip(a.shape[: grid - 1], a.strides[: grid - 1]) if n != 1]
    if any(s0 != s1 * n1 for (_, s0), (n1, s1) in itertools.pairwise(lead)):
        return None
    rows = math.prod(a.shape[: grid - 1])
    stride = lead[-1][1] if lead else 0
    return np.lib.stride_tricks.as_strided(a, (rows, *a.shape[grid - 1 :]), (stride, *a.strides[grid - 1 :]))


def lines(a: np.ndarray) -> Lines:
    """:func:`pixel_lines` of a view known to have them."""
    found = pixel_lines(a)
    if found is None:  # pragma: no cover - callers copy first
        raise ValueError(f"no pixel lines in a view with strides {a.strides}")
    return found


def pixel_lines(a: np.ndarray) -> Lines | None:
    """A ``(rows, cols, 3)`` view as pixel lines ``(buffer, first, row_step,
    pixel_step)``: a 1-D unit-stride buffer over the memory the view spans,
    the element offset of row 0, elements from a row to the next (any sign)
    and from a pixel to the next (3 or 4). None when the samples are not
    interleaved in rows that way (the caller copies)."""
    rows, cols, _ = a.shape
    item = a.itemsize
    row_stride, pixel_stride, sample_stride = a.strides
    if rows * cols == 0:
        return a.reshape(-1)[:0], 0, 0, 3
    if cols == 1:
        pixel_stride = 3 * item
    if rows == 1:
        row_stride = 0
    if sample_stride != item or pixel_stride not in (3 * item, 4 * item) or row_stride % item:
        return None
    low = min(0, (rows - 1) * row_stride)  # bytes from a's first sample
    high = max(0, (rows - 1) * row_stride) + (cols - 1) * pixel_stride + 2 * item
    origin = a[rows - 1 :: rows] if row_stride < 0 else a[:1]  # a view whose data starts at `low`
    buffer = np.lib.stride_tricks.as_strided(origin, ((high - low) // item + 1,), (item,))
    return buffer, -low // item, row_stride // item, pixel_stride // item
