"""Batches of 8- and 16-bit integer images in three passes over all items:
count every item's channels into one ``(items, channels, levels)`` table,
plan every row with the method's plan, map every item through its LUTs.

Their bins are fixed by the dtype (:data:`~.binning.BYTE_LEVELS`, ...), so
the rows of one table share them. Each row is counted, planned and mapped
exactly as the same item on its own (the plans are the same functions), so
the result is bit-identical to a loop over the items; other images (floats,
wider integers, whose bins depend on each item's values) go item by item.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..backends import kernels
from .batch import Batch
from .binning import BYTE_LEVELS, LevelBins, binning_for
from .levels import is_small_integer
from .methods import Method
from .plan import build_plan


def fixed_levels(dtype: np.dtype) -> LevelBins | None:
    """The bins of every image of ``dtype`` when the dtype alone fixes them
    (8- and 16-bit integers, one bin per level), else None."""
    if not is_small_integer(dtype):
        return None
    binning = binning_for(dtype, None, None)
    assert isinstance(binning, LevelBins)
    return binning


def item_lines(array: np.ndarray, batch: Batch, channel_axis: int | None, order: tuple[int, ...]) -> np.ndarray | None:
    """A ``(items, channels, pixels)`` view of ``array`` (the image's shape;
    a broadcast mask too), pixels walked along the image axes ``order``
    (outer first), or None when no such view exists (then the caller goes
    item by item)."""
    items = _collapse(array, batch.axes)
    pixels = _collapse(array, order)
    channels = (1, 0) if channel_axis is None else (array.shape[channel_axis], array.strides[channel_axis])
    if items is None or pixels is None:
        return None
    return np.lib.stride_tricks.as_strided(
        array,
        shape=(items[0], channels[0], pixels[0]),
        strides=(items[1], channels[1], pixels[1]),
        writeable=array.flags.writeable,
    )


def pixel_order(image: np.ndarray, batch: Batch, channel_axis: int | None) -> tuple[int, ...]:
    """The image axes (neither batch nor channel) from the largest stride to
    the smallest: the order an item's pixels lie in memory."""
    spatial = [a for a in range(image.ndim) if a not in batch.axes and a != channel_axis]
    return tuple(sorted(spatial, key=lambda a: -abs(image.strides[a])))


def _collapse(array: np.ndarray, axes: tuple[int, ...]) -> tuple[int, int] | None:
    # (size, stride) of one evenly strided walk over ``axes`` (outer first),
    # or None; axes of size 1 take no part.
    walked = [a for a in axes if array.shape[a] != 1]
    size = int(np.prod([array.shape[a] for a in axes], dtype=np.int64))
    if not walked:
        return size, 0
    for outer, inner in itertools.pairwise(walked):
        if array.strides[outer] != array.strides[inner] * array.shape[inner]:
            return None
    return size, array.strides[walked[-1]]


def _rgb_rows(lines: np.ndarray) -> tuple[np.ndarray, int] | None:
    # ``(rows, step)`` for items of interleaved uint8 RGB triples (a pixel every
    # 3 or 4 bytes, as RGB, RGBX and RGBA): row i holds item i's bytes from
    # its first red to its last blue. None for other layouts.
    items, channels, pixels = lines.shape
    step = lines.strides[2]
    if lines.dtype != np.uint8 or channels != 3 or lines.strides[1] != 1 or step not in (3, 4):
        return None
    return np.lib.stride_tricks.as_strided(
        lines, shape=(items, step * (pixels - 1) + 3), strides=(lines.strides[0], 1), writeable=lines.flags.writeable
    ), step


def count_table(lines: np.ndarray, masks: np.ndarray | None, binning: LevelBins) -> np.ndarray:
    """int64 counts of shape ``(items, channels, bins)`` of :func:`item_lines` views."""
    cpu = kernels(lines)
    rgb = _rgb_rows(lines) if masks is None and binning == BYTE_LEVELS else None
    if rgb is not None:
        return cpu.count_item_rgb(*rgb, lines.shape[2])
    return cpu.count_item_levels(lines, masks, None if binning.direct else binning.lo, binning.hi)


def plan_table(
    method: Method, table: np.ndarray, binning: LevelBins, dtype: np.dtype, weights: np.ndarray | None
) -> np.ndarray:
    """The LUT of every row of ``table``, shape ``(items, channels, bins)`` in
    the method's output dtype: each row's plan (the identity where the plan
    leaves an item's channel as it is)."""
    rows = table.reshape(-1, table.shape[-1])
    if method.name == "opencv" and dtype == np.uint8:  # the default, compiled for all rows at once
        return kernels().opencv_byte_rows(rows).reshape(table.shape)
    out_dtype = method.output_dtype(dtype)
    luts = np.empty(rows.shape, out_dtype)
    identity = binning.centres()
    for row, lut in zip(rows, luts):
        mapping = build_plan(method, row, binning, dtype, weights).lut
        lut[...] = identity if mapping is None else mapping
    return luts.reshape(table.shape)


def apply_table(luts: np.ndarray, lines: np.ndarray, targets: np.ndarray, binning: LevelBins) -> None:
    """Map :func:`item_lines` views ``lines`` into ``targets`` through ``luts``."""
    cpu = kernels(lines)
    rgb, target_rgb = _rgb_rows(lines), _rgb_rows(targets)
    same_steps = rgb is not None and target_rgb is not None and rgb[1] == target_rgb[1]
    if same_steps and binning == BYTE_LEVELS and luts.dtype == np.uint8:
        assert rgb is not None and target_rgb is not None
        cpu.apply_item_rgb(rgb[0], rgb[1], lines.shape[2], luts.reshape(luts.shape[0], -1), target_rgb[0])
        return
    cpu.apply_item_levels(lines, None if binning.direct else binning.lo, binning.hi, luts, targets)
