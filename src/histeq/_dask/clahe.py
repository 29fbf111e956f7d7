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

import math
import string
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._clahe.plane import (
    blend_into,
    clip_pixels,
    code_values,
    coded,
    distribution_curve,
    lift,
    plane_codes,
    value_extent,
)
from .._clahe.tiles import AxisTiles
from .._core.batch import Batch, check_batch_axis
from .._core.colour_modes import ColourMode, check_colour_mode
from .._core.colour_spaces import skimage_hsv_split
from .._core.levels import is_small_integer
from .._core.methods import CLAHE_IMAGE_METHODS, CLAHE_METHODS
from .._core.validate import (
    check_channel_axis,
    check_choice,
    check_clip_limit,
    check_nbins,
)
from ..backends import kernels
from ..clahe import check_opencv_options
from .blocks import Groups, Key
from .equalize import check_no_out, groups_of, token
from .graph import ChunkTask, Graph
from .inputs import check_dask_image
from .tiles import Run, add_tile_counts, count_pieces, lifted, part, ranges


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
        """The tiling of the plane lifted to ``(z, y, x)`` (cached by ``lift``)."""
        return lift(self.shape, self.grid)[1]


#: A plane's coding: None (8/16-bit integers are their own codes), or the
#: range ``(low, high)`` its values are binned over (floats, wide integers).
Coding = tuple[Any, Any] | None


def part_codes(part: np.ndarray, coding: Coding, nbins: int | None) -> tuple[np.ndarray, int, int]:
    """``(codes, flip, levels)`` of a plane's part, as :func:`plane_codes`
    gives them for the whole plane (whose range is ``coding``)."""
    if coding is None:
        return plane_codes(part, None)
    return coded(code_values(part), nbins, *coding)


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
    for piece in parts:
        for key, (low, high, infinite) in piece.items():
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


def block_tile_counts(
    block: np.ndarray, groups: Groups, offsets: tuple[int, ...], tiling: Tiling, coding: dict[Key, Coding] | None
) -> dict[Key, dict[int, Run]]:
    """Every group's tile histograms over the block's pieces, as occupied
    runs of int64 counts (the spare bin of uncounted codes left out)."""
    axes = tiling.axes()
    result = {}
    for key, plane in groups.planes(block, offsets):
        codes, flip, levels = part_codes(plane, None if coding is None else coding[key], tiling.nbins)
        spans = ranges(groups, offsets, plane.shape)
        result[key] = count_pieces(lifted(codes, plane.shape), axes, spans, flip, tiling.shift, levels >> tiling.shift)
    return result


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
        _, _, levels = part_codes(np.zeros((1,) * len(tiling.shape), dtype), plane_coding, tiling.nbins)
        bins = levels >> tiling.shift
        top = bins - 1
        limit = clip_pixels(tiling.clip, area, bins)
        scale = np.float32(top) / np.float32(area)
        curve = None
        if tiling.distribution != "uniform":
            curve = distribution_curve(tiling.distribution, tiling.alpha, area, top)
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
        spans = ranges(groups, offsets, plane.shape)
        sliced = tuple(part(axis, *span) for axis, span in zip(axes, spans))
        codes, flip, levels = part_codes(plane, None if coding is None else coding[key], tiling.nbins)
        lo, luts = plans[key]
        top = (levels >> tiling.shift) - 1
        own = 2 if sliced[0].high.max() > 0 else 1  # the blend's default for the block
        layers = None if own == depth else depth
        blend_into(target, lifted(codes, plane.shape), flip, tiling.shift, lo, top, luts, sliced, layers)
    return result


def clahe_dask(image: Any, **options: Any) -> Any:
    """:func:`histeq.clahe` of a Dask array (``options``: its keyword
    arguments, checked as it checks them): a lazy Dask array of the same chunks."""
    image = check_dask_image(image)
    method = check_choice("method", options["method"], {**CLAHE_METHODS, **CLAHE_IMAGE_METHODS})
    if method not in CLAHE_METHODS:
        raise ValueError(
            f"method={method!r} CLAHE works on whole images (not blockwise); Dask arrays take "
            f"{', '.join(map(repr, CLAHE_METHODS))}, or compute the array first"
        )
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
        from .clahe_skimage import clahe_skimage

        return clahe_skimage(image, batch, axis, clip, nbins, options)
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
    check_no_out(options["out"])
    inner = None if batch is None else tuple(a - (a > colour.axis) for a in batch.axes)
    if method == "skimage" and colour.luminance:
        if colour.mode != "hsv" or image.shape[colour.axis] != 3 or colour.order != "rgb":
            raise ValueError(
                "method='skimage' works in colour as scikit-image does: color='hsv' on RGB "
                "(3 samples, channel_order='rgb'); use method='opencv' for other colour modes"
            )
        return _skimage_hsv(image, colour.axis, {**options, "batch_axis": inner})

    def grey(plane: Any, _: Any, channel_axis: int | None = None) -> Any:
        plane_options = {**options, "channel_axis": channel_axis, "batch_axis": inner, "color": None}
        return clahe_dask(plane, **{**plane_options, "channel_order": "rgb", "keep_alpha": False})

    return run_lazy(image, colour, None, grey, lambda colours, m: grey(colours, m, -1), counts_visible=False)


def _skimage_hsv(image: Any, axis: int, options: dict) -> Any:
    # scikit-image's RGB CLAHE: V from its rgb2hsv block by block, CLAHE of V as a Dask array, each block put
    # back by its hsv2rgb (skimage_hsv_split and merge, as in memory).
    import dask.array as da

    moved = da.moveaxis(image.rechunk({axis: -1}), axis, -1)
    value = moved.map_blocks(_hsv_value, drop_axis=moved.ndim - 1, dtype=np.float64)
    grey = {**options, "channel_axis": None, "color": None, "channel_order": "rgb", "keep_alpha": False}
    processed = clahe_dask(value, **grey)
    letters = string.ascii_letters[: moved.ndim]
    merged = da.blockwise(_hsv_merge, letters, moved, letters, processed, letters[:-1], dtype=np.float64)
    return da.moveaxis(merged, -1, axis)


def _hsv_value(block: np.ndarray) -> np.ndarray:
    return skimage_hsv_split(block)[0]


def _hsv_merge(block: np.ndarray, value: np.ndarray) -> np.ndarray:
    return skimage_hsv_split(block)[1].merge(value)


def _opencv(image: Any, batch: Batch | None, axis: int | None, clip: float, nbins: int | None, options: dict) -> Any:
    others = (axis,) if batch is None else (axis, *batch.axes)
    shape = tuple(n for i, n in enumerate(image.shape) if i not in others)
    grid, shift, distribution, alpha = check_opencv_options(
        shape, image.dtype, options["tile_grid"], options["bit_shift"], options["distribution"], options["alpha"], nbins
    )
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
