"""Blocks of a Dask array and the images ("groups") they hold pieces of.

A group is one image of a global operation: an item of the batch and one
channel (or every channel, for bins shared by the channels), named by its
indices along the batch axes and the channel axis. A block holds a piece of
every group whose indices it spans; the functions here run on one block (a
numpy array) inside a Dask task and go through the in-memory layout code and
kernels: a group's piece of a block is counted and mapped exactly as the
in-memory call counts and maps the whole group's pixels.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .._core.binning import Binning, _finite_range, _half_values
from .._core.layout import line_pairs, source_lines
from .._core.levels import is_integer
from .._core.plan import Plan
from ..backends import kernels

#: A group's key: its indices along the batch axes, then along the channel axis (if any).
Key = tuple[int, ...]
#: A group's extent in a block: the counted pixels' min and max (None, None when
#: none is counted; finite ones for floats), the +-inf anywhere (floats) and the
#: group's first pixel when the block starts it (the bins of nothing counted).
Extent = tuple[object, object, int, object]


@dataclass(frozen=True)
class Groups:
    """Where the groups lie in an array of ``ndim`` dimensions."""

    ndim: int
    batch_axes: tuple[int, ...]
    channel_axis: int | None

    @property
    def axes(self) -> tuple[int, ...]:
        """The batch axes, then the channel axis."""
        return self.batch_axes + (() if self.channel_axis is None else (self.channel_axis,))

    def item(self, key: Key) -> Key:
        """The batch item of a group."""
        return key[: len(self.batch_axes)]

    def planes(self, block: np.ndarray, offsets: tuple[int, ...]) -> Iterator[tuple[Key, np.ndarray]]:
        """Each group's piece of ``block`` (whose first pixel is at ``offsets``): views."""
        axes = self.axes
        front = np.moveaxis(block, axes, range(len(axes)))
        for local in np.ndindex(*front.shape[: len(axes)]):
            yield tuple(offsets[a] + i for a, i in zip(axes, local)), front[local]

    def keys(self, shape: tuple[int, ...], chunks: tuple[tuple[int, ...], ...], index: Key) -> list[Key]:
        """The keys of the groups in batch chunk ``index`` of an array of ``shape``."""
        ranges = []
        for axis, i in zip(self.batch_axes, index):
            start = sum(chunks[axis][:i])
            ranges.append(range(start, start + chunks[axis][i]))
        if self.channel_axis is not None:
            ranges.append(range(shape[self.channel_axis]))
        return [tuple(key) for key in itertools.product(*ranges)]

    def starts(self, offsets: tuple[int, ...]) -> bool:
        """Whether a block at ``offsets`` holds its groups' first pixels."""
        return all(offsets[a] == 0 for a in range(self.ndim) if a not in self.axes)


def _pieces(
    groups: Groups, block: np.ndarray, mask: np.ndarray | None, offsets: tuple[int, ...]
) -> Iterator[tuple[Key, np.ndarray, np.ndarray | None]]:
    # Each group's pixel line in the block and its mask line (kernel views).
    masks = None if mask is None else groups.planes(mask, offsets)
    for key, plane in groups.planes(block, offsets):
        plane_mask = None if masks is None else next(masks)[1]
        ((line, mask_line, _),) = source_lines(plane, plane_mask, None)
        yield key, line, mask_line


def block_extents(
    block: np.ndarray, mask: np.ndarray | None, groups: Groups, offsets: tuple[int, ...]
) -> dict[Key, Extent]:
    """Every group's :data:`Extent` in a block, as the in-memory binning
    reads it (:func:`histeq._core.binning.choose_binning`)."""
    first = groups.starts(offsets)
    extents = {}
    for key, line, mask_line in _pieces(groups, block, mask, offsets):
        low, high, infinite = _line_extent(line, mask_line, block.dtype)
        extents[key] = (low, high, infinite, line[0] if first else None)
    return extents


def _line_extent(line: np.ndarray, mask: np.ndarray | None, dtype: np.dtype) -> tuple[object, object, int]:
    cpu = kernels()
    if is_integer(dtype):
        if mask is None:
            return line.min(), line.max(), 0
        found = cpu.masked_integer_range(line, mask)
        return (None, None, 0) if found is None else (found[0], found[1], 0)
    if dtype == np.float16:  # bit patterns: their histogram, as the float16 binning reads it
        values = _half_values()
        everything = cpu.count_levels(line, None, None, np.uint16(0xFFFF))
        counted = everything if mask is None else cpu.count_levels(line, mask, None, np.uint16(0xFFFF))
        infinite = int(everything[np.isinf(values)].sum())
        occupied = values[(counted > 0) & np.isfinite(values)]
        return (occupied.min(), occupied.max(), infinite) if occupied.size else (None, None, infinite)
    low, high, infinite = _finite_range(line, mask)
    return low, high, infinite


def merge_extents(*parts: dict[Key, Extent]) -> dict[Key, Extent]:
    """The extents of the union of blocks."""
    merged: dict[Key, Extent] = {}
    for part in parts:
        for key, (low, high, infinite, first) in part.items():
            if key not in merged:
                merged[key] = (low, high, infinite, first)
                continue
            low0, high0, infinite0, first0 = merged[key]
            if low0 is None:
                low0, high0 = low, high
            elif low is not None:
                low0, high0 = min(low0, low), max(high0, high)  # type: ignore[call-overload]
            merged[key] = (low0, high0, infinite0 + infinite, first if first0 is None else first0)
    return merged


def block_counts(
    block: np.ndarray, mask: np.ndarray | None, groups: Groups, offsets: tuple[int, ...], binnings: dict[Key, Binning]
) -> dict[Key, np.ndarray]:
    """Every group's int64 counts in a block, by the group's binning's kernels."""
    return {key: binnings[key].count(line, mask_line) for key, line, mask_line in _pieces(groups, block, mask, offsets)}


def add_counts(*parts: dict[Key, np.ndarray]) -> dict[Key, np.ndarray]:
    """The counts of the union of blocks (int64 sums: exact in any order)."""
    total: dict[Key, np.ndarray] = {}
    for part in parts:
        for key, counts in part.items():
            if key in total:
                total[key] = total[key] + counts
            else:
                total[key] = counts
    return total


def block_map(
    block: np.ndarray, groups: Groups, offsets: tuple[int, ...], plans: dict[Key, Plan], dtype: np.dtype
) -> np.ndarray:
    """A block mapped through its groups' plans (``Plan.apply_line``, as in memory)."""
    result = np.empty(block.shape, dtype)
    targets = groups.planes(result, offsets)
    for key, plane in groups.planes(block, offsets):
        _, target = next(targets)
        for pair in line_pairs(plane, None, target, None):
            plans[key].apply_line(pair.source, pair.target)
            pair.finish()
    return result
