"""``clahe`` (OpenCV's method) of Dask arrays, without overlap between blocks.

Pass 1 counts every tile's histogram from the pieces of each block that feed
it (the tile's padded positions, reflect-101 past the end as OpenCV pads,
read through :class:`~histeq._clahe.tiles.AxisTiles` ``feed``), with the
in-memory tile-counting kernel, and adds them up per image (int64). The
plan is the in-memory tile plan (``plan_tiles``: OpenCV's clip,
redistribution and LUT) on those counts. Pass 2 blends each block from the
LUTs of its own and neighbouring tiles with the in-memory blend, on the
tiling's per-pixel tiles and weights sliced to the block. No pixel of one
block is needed by another, so any chunking gives the in-memory result.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._clahe.skimage import _DTYPES as _SKIMAGE_DTYPES
from .._clahe.skimage import _bin_count, _kernel_size, _stretch, bin_codes, bin_table
from .._clahe.skimage import _clip_pixels as _skimage_clip
from .._clahe.tiles import AxisTiles, skimage_tiling, whole_axis
from .._core.batch import Batch, check_batch_axis
from .._core.colour_modes import ColourMode, check_colour_mode
from .._core.levels import is_small_integer, skimage_float_dtype
from .._core.methods import CLAHE_METHODS
from .._core.targets import CLAHE_DISTRIBUTIONS, DEFAULT_ALPHA
from .._core.validate import (
    check_alpha,
    check_bit_shift,
    check_channel_axis,
    check_choice,
    check_clip_limit,
    check_nbins,
    check_tile_grid,
)
from ..backends import kernels
from ..clahe import (
    MAX_CODED_BINS,
    _clip_pixels,
    _codes,
    _distribution_curve,
    _lift,
    _write,
    code_values,
    coded,
    value_extent,
)
from .blocks import Groups, Key
from .equalize import check_no_out, groups_of, token
from .graph import ChunkTask, Graph
from .inputs import check_dask_image

#: Counts of a run of bins: ``(first bin, int64 counts)``.
Run = tuple[int, np.ndarray]


@dataclass(frozen=True)
class Tiling:
    """OpenCV's CLAHE of planes of one spatial ``shape``, with checked options."""

    shape: tuple[int, ...]
    grid: tuple[int, ...]
    clip: float
    shift: int
    distribution: str
    alpha: float
    nbins: int | None

    def axes(self) -> tuple[AxisTiles, ...]:
        """The tiling of the plane lifted to ``(z, y, x)`` (cached by ``_lift``)."""
        return _lift(self.shape, self.grid)[1]


#: A plane's coding: None (8/16-bit integers are their own codes), or the
#: range ``(low, high)`` its values are binned over (floats, wide integers).
Coding = tuple[Any, Any] | None


def plane_codes(plane: np.ndarray, coding: Coding, nbins: int | None) -> tuple[np.ndarray, int, int]:
    """``(codes, flip, levels)`` of a plane's part, as the in-memory ``_codes``
    gives them for the whole plane (whose range is ``coding``)."""
    if coding is None:
        return _codes(plane, None)
    return coded(code_values(plane), nbins, *coding)


def block_extents(block: np.ndarray, groups: Groups, offsets: tuple[int, ...]) -> dict[Key, tuple[Any, Any, int]]:
    """Every group's ``(low, high, infinite)`` in a block: the range of the
    values it is coded from (finite ones; None, None without any) and its +-inf."""
    extents = {}
    for key, plane in groups.planes(block, offsets):
        values = code_values(plane)
        if values.dtype.kind in "iu":
            extents[key] = (values.min(), values.max(), 0)
            continue
        infinite = int(np.count_nonzero(np.isinf(values)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all NaN
            low, high = np.nanmin(values), np.nanmax(values)
        extents[key] = (None, None, infinite) if infinite or np.isnan(low) else (low, high, 0)
    return extents


def merge_extents(*parts: dict[Key, tuple[Any, Any, int]]) -> dict[Key, tuple[Any, Any, int]]:
    """The extents of the union of blocks."""
    merged: dict[Key, tuple[Any, Any, int]] = {}
    for part in parts:
        for key, (low, high, infinite) in part.items():
            if key in merged:
                low0, high0, infinite0 = merged[key]
                if low0 is not None and low is not None:
                    low, high = min(low0, low), max(high0, high)
                elif low is None:
                    low, high = low0, high0
                infinite += infinite0
            merged[key] = (low, high, infinite)
    return merged


def codings(extents: dict[Key, tuple[Any, Any, int]], dtype: np.dtype) -> dict[Key, Coding]:
    """Every group's coding: the in-memory ``value_extent`` of a line holding
    the group's extent (its +-inf raise as in memory; no finite value gives
    the in-memory default range)."""
    values_dtype = code_values(np.zeros(0, dtype)).dtype
    result: dict[Key, Coding] = {}
    for key, (low, high, infinite) in extents.items():
        if infinite:
            value_extent(np.broadcast_to(np.array(np.inf, values_dtype), (infinite,)))  # raises
        line = np.array([np.nan] if low is None else [low, high], values_dtype)
        result[key] = value_extent(line)
    return result


def _lifted(codes: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    # A plane's codes (of its ``shape``, or flat) as the 3-D ``(z, y, x)`` the kernels read.
    return codes.reshape((1,) * (3 - len(shape)) + shape)


def _feeding(axis: AxisTiles, start: int, stop: int) -> list[tuple[int, slice | np.ndarray]]:
    # (tile, the block's pixels that feed its padded positions, in their order)
    # for every tile that pixels start .. stop - 1 feed.
    pieces: list[tuple[int, slice | np.ndarray]] = []
    for tile in range(axis.tiles):
        fed = axis.feed[tile * axis.length : (tile + 1) * axis.length]
        inside = fed[(fed >= start) & (fed < stop)] - start
        if not inside.size:
            continue
        first, last = int(inside[0]), int(inside[-1])
        run = inside.size == last - first + 1 and bool(np.all(np.diff(inside) == 1))
        pieces.append((tile, slice(first, last + 1) if run else inside))
    return pieces


def block_tile_counts(
    block: np.ndarray, groups: Groups, offsets: tuple[int, ...], tiling: Tiling, coding: dict[Key, Coding] | None
) -> dict[Key, dict[int, Run]]:
    """Every group's tile histograms over the block's pieces, as occupied
    runs of int64 counts (the spare bin of uncounted codes left out)."""
    axes = tiling.axes()
    cpu = kernels(block).tiles
    result = {}
    for key, plane in groups.planes(block, offsets):
        codes, flip, levels = plane_codes(plane, None if coding is None else coding[key], tiling.nbins)
        bins = levels >> tiling.shift
        lifted = _lifted(codes, plane.shape)
        feeding = [_feeding(axis, *span) for axis, span in zip(axes, _ranges(groups, offsets, plane.shape))]
        tiles: dict[int, Run] = {}
        for (tz, iz), (ty, iy), (tx, ix) in itertools.product(*feeding):
            piece = lifted[iz][:, iy][:, :, ix]
            whole = tuple(whole_axis(size) for size in piece.shape)
            counts = cpu.count_tiles(piece, flip, tiling.shift, 0, whole, bins).reshape(-1)[:bins]
            tile = (tz * axes[1].tiles + ty) * axes[2].tiles + tx
            tiles[tile] = _add_runs(tiles.get(tile), _run(counts))
        result[key] = tiles
    return result


def _run(counts: np.ndarray) -> Run:
    occupied = np.flatnonzero(counts)
    if not occupied.size:
        return 0, np.zeros(0, np.int64)
    return int(occupied[0]), counts[occupied[0] : occupied[-1] + 1].astype(np.int64)


def _add_runs(one: Run | None, other: Run) -> Run:
    if one is None or not one[1].size:
        return other
    if not other[1].size:
        return one
    low = min(one[0], other[0])
    high = max(one[0] + one[1].size, other[0] + other[1].size)
    total = np.zeros(high - low, np.int64)
    for start, counts in (one, other):
        total[start - low : start - low + counts.size] += counts
    return low, total


def add_tile_counts(*parts: dict[Key, dict[int, Run]]) -> dict[Key, dict[int, Run]]:
    """The tile counts of the union of blocks (int64 sums)."""
    total: dict[Key, dict[int, Run]] = {}
    for part in parts:
        for key, tiles in part.items():
            into = total.setdefault(key, {})
            for tile, run in tiles.items():
                into[tile] = _add_runs(into.get(tile), run)
    return total


def tile_plans(
    counts: dict[Key, dict[int, Run]],
    keys: list[Key],
    tiling: Tiling,
    dtype: np.dtype,
    coding: dict[Key, Coding] | None,
) -> dict[Key, tuple[int, np.ndarray]]:
    """Every group's ``(lo, LUTs)``: the in-memory plan (``plan_tiles``) of
    its tiles' counts, over the occupied bins ``lo .. hi`` of 16-bit planes
    (the plane's range: every pixel feeds a tile), else over all bins."""
    axes = tiling.axes()
    area = math.prod(axis.length for axis in axes)
    tiles = math.prod(axis.tiles for axis in axes)
    plans = {}
    for key in keys:
        plane_coding = None if coding is None else coding[key]
        _, _, levels = plane_codes(np.zeros((1,) * len(tiling.shape), dtype), plane_coding, tiling.nbins)
        bins = levels >> tiling.shift
        top = bins - 1
        limit = _clip_pixels(tiling.clip, area, bins)
        scale = np.float32(top) / np.float32(area)
        curve = None
        if tiling.distribution != "uniform":
            curve = _distribution_curve(tiling.distribution, tiling.alpha, area, top)
        runs = [run for run in counts[key].values() if run[1].size]
        lo, hi = 0, bins - 1
        if plane_coding is None and bins > 256:  # 16-bit planes: LUTs of the occupied bins only, as in memory
            lo, hi = min(start for start, _ in runs), max(start + run.size - 1 for start, run in runs)
        held = np.zeros((tiles, hi - lo + 2), np.int64)
        for tile, (start, run) in counts[key].items():
            held[tile, start - lo : start - lo + run.size] = run
        plans[key] = (lo, kernels(held).tiles.plan_tiles(held, bins, lo, limit, scale, top, curve))
    return plans


def block_clahe(
    block: np.ndarray,
    groups: Groups,
    offsets: tuple[int, ...],
    plans: dict[Key, tuple[int, np.ndarray]],
    dtype: np.dtype,
    tiling: Tiling,
    coding: dict[Key, Coding] | None,
) -> np.ndarray:
    """A block blended from its groups' tile LUTs (the in-memory blend on the
    tiling sliced to the block; the whole plane's z depth)."""
    axes = tiling.axes()
    depth = 2 if axes[0].high.max() > 0 else 1
    result = np.empty(block.shape, dtype)
    targets = groups.planes(result, offsets)
    for key, plane in groups.planes(block, offsets):
        _, target = next(targets)
        spans = _ranges(groups, offsets, plane.shape)
        part = tuple(_part(axis, *span) for axis, span in zip(axes, spans))
        codes, flip, levels = plane_codes(plane, None if coding is None else coding[key], tiling.nbins)
        lo, luts = plans[key]
        top = (levels >> tiling.shift) - 1
        own = 2 if part[0].high.max() > 0 else 1  # the blend's default for the block
        layers = None if own == depth else depth
        _write(target, _lifted(codes, plane.shape), flip, tiling.shift, lo, top, luts, part, layers)
    return result


def _ranges(groups: Groups, offsets: tuple[int, ...], shape: tuple[int, ...]) -> list[tuple[int, int]]:
    """A block's pixel range along each lifted axis (``shape``: its plane's)."""
    starts = [offsets[a] for a in range(groups.ndim) if a not in groups.axes]
    ranges = [(start, start + size) for start, size in zip(starts, shape)]
    return [(0, 1)] * (3 - len(ranges)) + ranges


def _part(axis: AxisTiles, start: int, stop: int) -> AxisTiles:
    # The tiles and weights of pixels start .. stop - 1 of an axis.
    return AxisTiles(
        tiles=axis.tiles,
        length=axis.length,
        feed=axis.feed,
        low=axis.low[start:stop],
        high=axis.high[start:stop],
        weight_low=axis.weight_low[start:stop],
        weight_high=axis.weight_high[start:stop],
    )


def clahe_dask(image: Any, **options: Any) -> Any:
    """:func:`histeq.clahe` of a Dask array (``options``: its keyword
    arguments, checked as it checks them): a lazy Dask array of the same chunks."""
    image = check_dask_image(image)
    method = check_choice("method", options["method"], CLAHE_METHODS)
    axis = check_channel_axis(options["channel_axis"], image.ndim)
    batch = check_batch_axis(options["batch_axis"], image.shape, axis)
    spatial = image.ndim - (axis is not None) - (0 if batch is None else len(batch.axes))
    if not 1 <= spatial <= 3:
        raise ValueError(
            f"clahe works on 1-D, 2-D and 3-D images (plus a channel axis and batch axes); got {spatial} "
            "spatial dimensions (use channel_axis for a colour axis, batch_axis for a batch of images)"
        )
    colour = check_colour_mode(options["color"], options["channel_order"], options["keep_alpha"], axis, image.shape)
    if colour is not None:
        return _colour(image, colour, method, batch, options)
    check_no_out(options["out"])
    clip = check_clip_limit(options["clip_limit"], CLAHE_METHODS[method].default_clip)
    nbins = check_nbins(options["nbins"])
    if method == "skimage":
        return _skimage(image, batch, axis, clip, nbins, options)
    if options["kernel_size"] is not None:
        raise ValueError("kernel_size is scikit-image's parameter (method='skimage'); use tile_grid")
    return _opencv(image, batch, axis, clip, nbins, options)


def _colour(image: Any, colour: ColourMode, method: str, batch: Batch | None, options: dict) -> Any:
    # clahe in a color= mode: the luminance plane or the colour channels through clahe (run_lazy).
    from .colour import run_lazy

    if colour.mode == "joint":
        raise ValueError(
            "color='joint' is not available for clahe: its tiles are spatial, so the channels cannot "
            "share them; use a colour space ('ycrcb', 'lab', 'hsv') or 'channels'"
        )
    if method == "skimage" and colour.luminance:
        raise ValueError(
            "method='skimage' in colour (scikit-image's HSV round trip) is not available for Dask arrays yet; "
            "use method='opencv', or compute the array first"
        )
    check_no_out(options["out"])
    inner = None if batch is None else tuple(a - (a > colour.axis) for a in batch.axes)

    def grey(plane: Any, _: Any, channel_axis: int | None = None) -> Any:
        plane_options = {**options, "channel_axis": channel_axis, "batch_axis": inner, "color": None}
        return clahe_dask(plane, **{**plane_options, "channel_order": "rgb", "keep_alpha": False})

    return run_lazy(image, colour, None, grey, lambda colours, m: grey(colours, m, -1), counts_visible=False)


def _opencv(image: Any, batch: Batch | None, axis: int | None, clip: float, nbins: int | None, options: dict) -> Any:
    others = (axis,) if batch is None else (axis, *batch.axes)
    shape = tuple(n for i, n in enumerate(image.shape) if i not in others)
    grid = check_tile_grid(options["tile_grid"], len(shape), shape)
    shift = check_bit_shift(options["bit_shift"], image.dtype)
    distribution = check_choice("distribution", options["distribution"], CLAHE_DISTRIBUTIONS)
    alpha = check_alpha(options["alpha"])
    if is_small_integer(image.dtype) and nbins is not None:
        raise ValueError(
            f"nbins applies to float and wide integer images; {image.dtype} images use one bin "
            "per level (use bit_shift to merge levels)"
        )
    if nbins is not None and nbins > MAX_CODED_BINS:
        raise ValueError(f"nbins must be at most {MAX_CODED_BINS} for clahe; got {nbins}")
    tiling = Tiling(shape, grid, clip, shift, distribution, alpha, nbins)
    groups = groups_of(image, batch, axis)
    graph = Graph(image, None, groups, "histeq-clahe-" + token(image, tiling, groups))
    name = graph.name

    def coding(chunk: Key) -> tuple | None:
        return None if is_small_integer(image.dtype) else (f"coding-{name}", *chunk)

    if not is_small_integer(image.dtype):  # floats, wide integers: coded over each plane's range
        graph.per_block("extent", lambda b: (block_extents, graph.block_key(b, "extent"), groups, graph.offsets[b]))
        graph.reduce("extent", merge_extents)
        graph.per_chunk("coding", lambda c: (codings, (f"extent-total-{name}", *c), image.dtype))
    graph.per_block(
        "tiles",
        lambda b: (
            block_tile_counts,
            graph.block_key(b, "tiles"),
            groups,
            graph.offsets[b],
            tiling,
            coding(graph.chunk_of[b]),
        ),
    )
    graph.reduce("tiles", add_tile_counts)
    graph.per_chunk(
        "plan", lambda c: (tile_plans, (f"tiles-total-{name}", *c), graph.keys(c), tiling, image.dtype, coding(c))
    )
    return graph.mapped(
        image.dtype, block_clahe, tiling, None if is_small_integer(image.dtype) else ChunkTask("coding")
    )


# --- method "skimage" ------------------------------------------------------------


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
    for part in parts:
        for key, (low, high) in part.items():
            if key in merged:
                low, high = np.minimum(merged[key][0], low), np.maximum(merged[key][1], high)
            merged[key] = (low, high)
    return merged


def bin_tables(ends: dict[Key, tuple[Any, Any]], dtype: np.dtype, nbins: int) -> dict[Key, np.ndarray]:
    """Every group's table of bins (:func:`histeq._clahe.skimage.bin_table`)."""
    grey = _grey(np.zeros(0, dtype)).dtype
    return {key: bin_table(low, high, grey, nbins) for key, (low, high) in ends.items()}


def _plane_bins(plane: np.ndarray, table: np.ndarray) -> np.ndarray:
    return _lifted(bin_codes(np.ascontiguousarray(_grey(plane)), table), plane.shape)


def block_region_counts(
    block: np.ndarray, groups: Groups, offsets: tuple[int, ...], tiling: SkimageTiling, tables: dict[Key, np.ndarray]
) -> dict[Key, dict[int, Run]]:
    """Every group's region histograms over the block's pieces (occupied runs)."""
    axes = tiling.axes()
    cpu = kernels(block).tiles
    result = {}
    for key, plane in groups.planes(block, offsets):
        lifted = _plane_bins(plane, tables[key])
        feeding = [_feeding(axis, *span) for axis, span in zip(axes, _ranges(groups, offsets, plane.shape))]
        tiles: dict[int, Run] = {}
        for (tz, iz), (ty, iy), (tx, ix) in itertools.product(*feeding):
            piece = lifted[iz][:, iy][:, :, ix]
            whole = tuple(whole_axis(size) for size in piece.shape)
            counts = cpu.count_tiles(piece, 0, 0, 0, whole, tiling.nbins).reshape(-1)[: tiling.nbins]
            tile = (tz * axes[1].tiles + ty) * axes[2].tiles + tx
            tiles[tile] = _add_runs(tiles.get(tile), _run(counts))
        result[key] = tiles
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
    part = tuple(_part(axis, *span) for axis, span in zip(axes, _ranges(groups, offsets, plane.shape)))
    levels = _plane_bins(plane, table)
    low, high = kernels(levels).skimage_tiles.blend(levels, luts, list(part))
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
    for part in parts:
        for key, (low, high) in part.items():
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


def _skimage(image: Any, batch: Batch | None, axis: int | None, clip: float, nbins: int | None, options: dict) -> Any:
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
