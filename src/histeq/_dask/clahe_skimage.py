"""``clahe(method="skimage")`` of Dask arrays: scikit-image's CLAHE, bit for bit.

Four passes, three of them reductions: each plane's min and max (the
rescale to 14-bit bins, :func:`histeq._clahe.skimage.bin_table`), the
regions' counts (:mod:`.tiles`) planned by scikit-image's clip and LUT
(``skimage_luts``), the range of the blended levels (the final stretch), and
then each block blended again and stretched (the in-memory blend and
stretch, on the regions sliced to the block).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._clahe.skimage import _DTYPES as _SKIMAGE_DTYPES
from .._clahe.skimage import _bin_count, _kernel_size, _stretch, bin_codes, bin_table
from .._clahe.skimage import _clip_pixels as _skimage_clip
from .._clahe.tiles import AxisTiles, skimage_tiling, whole_axis
from .._core.batch import Batch
from .._core.levels import skimage_float_dtype
from .._core.targets import DEFAULT_ALPHA
from ..backends import kernels
from .blocks import Groups, Key
from .equalize import groups_of, token
from .graph import ChunkTask, Graph
from .tiles import Run, add_tile_counts, count_pieces, lifted, part, ranges


@dataclass(frozen=True)
class SkimageTiling:
    """scikit-image's CLAHE of planes of one spatial ``shape``: its regions
    (``kernel``), bins, clip limit in pixels and output dtype."""

    shape: tuple[int, ...]
    kernel: tuple[int, ...]
    nbins: int
    clip: int
    dtype: np.dtype

    def axes(self) -> tuple[AxisTiles, ...]:
        """The regions of the plane lifted to ``(z, y, x)``."""
        return _skimage_axes(self.shape, self.kernel)


@functools.lru_cache(maxsize=16)
def _skimage_axes(shape: tuple[int, ...], kernel: tuple[int, ...]) -> tuple[AxisTiles, ...]:
    return (*[whole_axis(1)] * (3 - len(shape)), *skimage_tiling(shape, kernel))


def _grey(plane: np.ndarray) -> np.ndarray:
    # The values scikit-image's CLAHE bins: float16 as float32 (as _grey_image).
    return plane.astype(np.float32) if plane.dtype == np.float16 else plane


def block_ends(block: np.ndarray, groups: Groups, offsets: tuple[int, ...]) -> dict[Key, tuple[Any, Any]]:
    """Every group's min and max in a block (NaN if it holds NaN)."""
    return {key: (np.min(plane), np.max(plane)) for key, plane in groups.planes(block, offsets)}


def merge_ends(*parts: dict[Key, tuple[Any, Any]]) -> dict[Key, tuple[Any, Any]]:
    """The min and max of the union of blocks (NaN wins, as in np.min)."""
    merged: dict[Key, tuple[Any, Any]] = {}
    for piece in parts:
        for key, (low, high) in piece.items():
            if key in merged:
                low, high = np.minimum(merged[key][0], low), np.maximum(merged[key][1], high)
            merged[key] = (low, high)
    return merged


def bin_tables(ends: dict[Key, tuple[Any, Any]], dtype: np.dtype, nbins: int) -> dict[Key, np.ndarray]:
    """Every group's table of bins (:func:`histeq._clahe.skimage.bin_table`)."""
    grey = _grey(np.zeros(0, dtype)).dtype
    return {key: bin_table(low, high, grey, nbins) for key, (low, high) in ends.items()}


def _plane_bins(plane: np.ndarray, table: np.ndarray) -> np.ndarray:
    return lifted(bin_codes(np.ascontiguousarray(_grey(plane)), table), plane.shape)


def block_region_counts(
    block: np.ndarray, groups: Groups, offsets: tuple[int, ...], tiling: SkimageTiling, tables: dict[Key, np.ndarray]
) -> dict[Key, dict[int, Run]]:
    """Every group's region histograms over the block's pieces (occupied runs)."""
    axes = tiling.axes()
    result = {}
    for key, plane in groups.planes(block, offsets):
        spans = ranges(groups, offsets, plane.shape)
        result[key] = count_pieces(_plane_bins(plane, tables[key]), axes, spans, 0, 0, tiling.nbins)
    return result


def region_plans(counts: dict[Key, dict[int, Run]], keys: list[Key], tiling: SkimageTiling) -> dict[Key, np.ndarray]:
    """Every group's region LUTs: scikit-image's plan (``skimage_luts``) of its summed counts."""
    axes = tiling.axes()
    tiles = math.prod(axis.tiles for axis in axes)
    elements = math.prod(tiling.kernel)
    plans = {}
    for key in keys:
        hist = np.zeros((tiles, tiling.nbins + 1), np.int64)
        for tile, (start, run) in counts[key].items():
            hist[tile, start : start + run.size] = run
        plans[key] = kernels(hist).skimage_tiles.skimage_luts(hist, tiling.clip, elements)
    return plans


def _blended(
    plane: np.ndarray,
    groups: Groups,
    offsets: tuple[int, ...],
    luts: np.ndarray,
    tiling: SkimageTiling,
    table: np.ndarray,
) -> tuple[np.ndarray, int, int]:
    # A plane's part blended (scikit-image's truncated uint16 levels) and their min and max.
    axes = tiling.axes()
    sliced = [part(axis, *span) for axis, span in zip(axes, ranges(groups, offsets, plane.shape))]
    levels = _plane_bins(plane, table)
    low, high = kernels(levels).skimage_tiles.blend(levels, luts, sliced)
    return levels, low, high


def block_level_range(
    block: np.ndarray,
    groups: Groups,
    offsets: tuple[int, ...],
    plans: dict[Key, np.ndarray],
    tiling: SkimageTiling,
    tables: dict[Key, np.ndarray],
) -> dict[Key, tuple[int, int]]:
    """Every group's min and max of the blended levels in a block (the final stretch's range)."""
    ranges = {}
    for key, plane in groups.planes(block, offsets):
        _, low, high = _blended(plane, groups, offsets, plans[key], tiling, tables[key])
        ranges[key] = (low, high)
    return ranges


def merge_level_ranges(*parts: dict[Key, tuple[int, int]]) -> dict[Key, tuple[int, int]]:
    """The blended levels' range of the union of blocks."""
    merged: dict[Key, tuple[int, int]] = {}
    for piece in parts:
        for key, (low, high) in piece.items():
            if key in merged:
                low, high = min(merged[key][0], low), max(merged[key][1], high)
            merged[key] = (low, high)
    return merged


def block_skimage(
    block: np.ndarray,
    groups: Groups,
    offsets: tuple[int, ...],
    plans: dict[Key, np.ndarray],
    dtype: np.dtype,
    tiling: SkimageTiling,
    tables: dict[Key, np.ndarray],
    ranges: dict[Key, tuple[int, int]],
) -> np.ndarray:
    """A block blended from its regions' LUTs and stretched by the whole plane's range of blended levels."""
    result = np.empty(block.shape, dtype)
    targets = groups.planes(result, offsets)
    for key, plane in groups.planes(block, offsets):
        _, target = next(targets)
        levels, _, _ = _blended(plane, groups, offsets, plans[key], tiling, tables[key])
        target[...] = _stretch(levels, *ranges[key], dtype).reshape(plane.shape)
    return result


def clahe_skimage(
    image: Any, batch: Batch | None, axis: int | None, clip: float, nbins: int | None, options: dict
) -> Any:
    for name, default in (("tile_grid", None), ("bit_shift", 0), ("distribution", "uniform"), ("alpha", DEFAULT_ALPHA)):
        if options[name] != default:
            raise ValueError(f"{name} is not a parameter of method='skimage' (scikit-image has no such option)")
    if np.dtype(image.dtype).type not in _SKIMAGE_DTYPES:
        raise TypeError(
            f"method='skimage' CLAHE takes uint8, uint16 or float images; got dtype {image.dtype} "
            "(scale it to one of these first)"
        )
    others = (axis,) if batch is None else (axis, *batch.axes)
    shape = tuple(n for i, n in enumerate(image.shape) if i not in others)
    kernel = _kernel_size(options["kernel_size"], shape)
    bins = _bin_count(nbins or 256)
    tiling = SkimageTiling(
        shape, kernel, bins, _skimage_clip(clip, math.prod(kernel)), skimage_float_dtype(image.dtype)
    )
    groups = groups_of(image, batch, axis)
    graph = Graph(image, None, groups, "histeq-clahe-skimage-" + token(image, tiling, groups))
    name = graph.name
    graph.per_block("ends", lambda b: (block_ends, graph.block_key(b, "ends"), groups, graph.offsets[b]))
    graph.reduce("ends", merge_ends)
    graph.per_chunk("tables", lambda c: (bin_tables, (f"ends-total-{name}", *c), image.dtype, bins))
    graph.per_block(
        "tiles",
        lambda b: (
            block_region_counts,
            graph.block_key(b, "tiles"),
            groups,
            graph.offsets[b],
            tiling,
            (f"tables-{name}", *graph.chunk_of[b]),
        ),
    )
    graph.reduce("tiles", add_tile_counts)
    graph.per_chunk("plan", lambda c: (region_plans, (f"tiles-total-{name}", *c), graph.keys(c), tiling))
    graph.per_block(
        "levels",
        lambda b: (
            block_level_range,
            graph.block_key(b, "levels"),
            groups,
            graph.offsets[b],
            (f"plan-{name}", *graph.chunk_of[b]),
            tiling,
            (f"tables-{name}", *graph.chunk_of[b]),
        ),
    )
    graph.reduce("levels", merge_level_ranges)
    return graph.mapped(tiling.dtype, block_skimage, tiling, ChunkTask("tables"), ChunkTask("levels-total"))
