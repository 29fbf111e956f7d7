"""From N-D images to the 1-D pixel lines that kernels read and write.

Counting and LUT mapping do not care about pixel order, only that an input
pixel and its output land at the same position. So each channel plane is
walked in the order of its strides, which is a zero-copy 1-D view for C- and
Fortran-ordered arrays, interleaved channels and most slices. Only planes that
are not one evenly strided line (negative strides, gaps between rows) are
copied, one channel at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .levels import kernel_view

#: np.shares_memory's budget before it gives up (and the arrays count as
#: overlapping); numpy's stubs know only its two special values.
_OVERLAP_WORK: Any = 1 << 12
#: numpy >= 1.25 has it in np.exceptions, older numpy in its main namespace.
_TooHardError: type[Exception] = getattr(np, "exceptions", np).TooHardError


def unshared(source: np.ndarray, out: np.ndarray, *, exact: bool = True) -> np.ndarray:
    """``source``, or a copy of it when ``out`` overlaps its memory other than
    exactly.

    Kernels read each pixel and write its result at the same position, so
    ``out`` may be ``source`` itself, or any view with the same memory,
    strides and item size (unless ``exact`` is False: for masks, which are
    read for other pixels too). Any other overlap (a reversed or shifted view
    of the same buffer, ...) would overwrite pixels before they are read: the
    caller then works from a copy. Disjoint arrays cost one bounds check
    (``np.may_share_memory``); only arrays whose bounds overlap get the exact
    test."""
    if (out is source and exact) or not np.may_share_memory(source, out):
        return source
    if (
        exact
        and source.shape == out.shape
        and source.strides == out.strides
        and source.itemsize == out.itemsize
        and source.ctypes.data == out.ctypes.data
    ):
        return source
    try:
        overlap = np.shares_memory(source, out, max_work=_OVERLAP_WORK)
    except _TooHardError:
        overlap = True
    return source.copy(order="K") if overlap else source


def channel_planes(array: np.ndarray, channel_axis: int | None) -> list[np.ndarray]:
    """Views of each channel (the whole array when ``channel_axis`` is None)."""
    if channel_axis is None:
        return [array]
    moved = np.moveaxis(array, channel_axis, 0)
    return [moved[c] for c in range(moved.shape[0])]


def contiguous_order(array: np.ndarray) -> Literal["C", "F"] | None:
    """``"C"`` or ``"F"`` for an array contiguous in that order (``"C"`` when
    both), None otherwise: ``array.reshape(-1, order=...)`` is then a view in
    memory order."""
    flags = array.flags
    if flags.c_contiguous:
        return "C"
    return "F" if flags.f_contiguous else None


def _stride_order(array: np.ndarray) -> tuple[int, ...]:
    # Axes from the largest to the smallest stride: the order in memory.
    return tuple(sorted(range(array.ndim), key=lambda axis: -abs(array.strides[axis])))


def _line_view(array: np.ndarray) -> np.ndarray | None:
    """A 1-D view of a C-ordered walk over ``array``, or None if there is none."""
    if array.ndim <= 1 or array.flags.c_contiguous:
        return array.reshape(-1)
    axes = [axis for axis in range(array.ndim) if array.shape[axis] != 1]
    if not axes:
        return array.reshape(-1)
    for outer, inner in itertools.pairwise(axes):
        if array.strides[outer] != array.strides[inner] * array.shape[inner]:
            return None
    step = array.strides[axes[-1]]
    return np.lib.stride_tricks.as_strided(array, shape=(array.size,), strides=(step,), writeable=array.flags.writeable)


def interleaved_rgb(array: np.ndarray) -> tuple[np.ndarray, int] | None:
    """``(line, step)`` for an array of RGB triples on its last axis that lie
    one every ``step`` bytes (3: packed RGB; 4: the colour of RGBX or RGBA
    pixels, as Pillow stores them) in C order: ``line`` is a 1-D view of the
    bytes from the first pixel's red to the last pixel's blue. None for any
    other layout."""
    if array.ndim < 2 or array.shape[-1] != 3 or array.strides[-1] != array.itemsize:
        return None
    pixels = _pixel_rows(array)
    if pixels is None or pixels.strides[0] not in (3 * array.itemsize, 4 * array.itemsize):
        return None
    step = pixels.strides[0] // array.itemsize
    length = step * (pixels.shape[0] - 1) + 3
    line = np.lib.stride_tricks.as_strided(
        pixels, shape=(length,), strides=(array.itemsize,), writeable=array.flags.writeable
    )
    return line, step


def _pixel_rows(array: np.ndarray) -> np.ndarray | None:
    # The pixels of an (..., 3) array as an (N, 3) view, if one stride walks them.
    walk = _line_view(array[..., 0])
    if walk is None:
        return None
    return np.lib.stride_tricks.as_strided(
        array, shape=(walk.size, 3), strides=(walk.strides[0], array.strides[-1]), writeable=array.flags.writeable
    )


def pixel_line(plane: np.ndarray, order: tuple[int, ...] | None = None) -> np.ndarray:
    """All pixels of ``plane`` as a 1-D array, as kernels read them.

    Walks in memory order (or in ``order``, a permutation of the axes); a view
    when possible, else one copy of the plane.
    """
    walked = plane.transpose(order or _stride_order(plane))
    line = _line_view(walked)
    if line is None:
        line = walked.reshape(-1)
    return kernel_view(line)


@dataclass
class LinePair:
    """An input pixel line and the output line that receives its results."""

    source: np.ndarray
    mask: np.ndarray | None
    target: np.ndarray
    _plane: np.ndarray
    _order: tuple[int, ...]
    _buffered: bool

    def finish(self) -> None:
        """Copy a buffered target line back into the output plane."""
        if self._buffered:
            values = self.target.view(self._plane.dtype)  # undo kernel_view
            self._plane.transpose(self._order)[...] = values.reshape([self._plane.shape[a] for a in self._order])


def source_lines(
    image: np.ndarray, mask: np.ndarray | None, channel_axis: int | None
) -> list[tuple[np.ndarray, np.ndarray | None, tuple[int, ...]]]:
    """Per channel: the pixel line, its mask line (or None) and the walk order."""
    planes = channel_planes(image, channel_axis)
    masks = channel_planes(mask, channel_axis) if mask is not None else [None] * len(planes)
    lines = []
    for plane, plane_mask in zip(planes, masks):
        order = _stride_order(plane)
        mask_line = None if plane_mask is None else pixel_line(plane_mask, order)
        lines.append((pixel_line(plane, order), mask_line, order))
    return lines


def line_pairs(
    image: np.ndarray, mask: np.ndarray | None, out: np.ndarray, channel_axis: int | None
) -> Iterator[LinePair]:
    """Matching input/mask/output lines, one per channel.

    The output line is a view into ``out`` when ``out`` can be walked in the same
    order as the input; otherwise it is a buffer, copied back by
    :meth:`LinePair.finish`.
    """
    lines = source_lines(image, mask, channel_axis)
    for (source, line_mask, order), dst in zip(lines, channel_planes(out, channel_axis)):
        target = _line_view(dst.transpose(order))
        buffered = target is None
        if target is None:
            target = np.empty(source.size, dst.dtype)
        yield LinePair(source, line_mask, kernel_view(target), dst, order, buffered)
