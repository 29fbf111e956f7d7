"""``equalize`` and ``histogram`` of Dask arrays: the in-memory plans on the
counts of every block, every block mapped by the in-memory kernels."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.batch import Batch, batch_mask, check_batch_axis
from .._core.binning import Binning, LevelBins
from .._core.colour_modes import check_colour_mode, spatial_mask
from .._core.levels import is_integer, is_small_integer
from .._core.methods import Method, equalize_method
from .._core.plan import Plan, build_plan
from .._core.targets import check_target, default_levels, target_weights
from .._core.validate import check_channel_axis, check_mask, check_nbins, check_value_range
from ..histogram import Histogram
from . import is_dask_array
from .blocks import Groups, Key
from .graph import Bins, Graph
from .inputs import check_dask_image, dask_mask


def check_no_out(out: object) -> None:
    """``out`` must be None: a Dask result is a new lazy array."""
    if out is not None:
        raise TypeError(
            "out is not available for a Dask array: the result is a new lazy Dask array "
            "(write it with dask.array.store or .to_zarr)"
        )


def checked_mask(mask: object, image: Any, batch: Batch | None, axis: int | None) -> Any:
    """``mask`` as the in-memory call checks it, as a Dask array like ``image`` (or None)."""
    shape = image.shape

    def check(value: object) -> np.ndarray | None:
        return check_mask(value, shape, axis) if batch is None else batch_mask(value, shape, batch, axis)

    return dask_mask(mask, image, check)


def groups_of(image: Any, batch: Batch | None, axis: int | None) -> Groups:
    """The groups (items and channels) of an image."""
    return Groups(image.ndim, () if batch is None else batch.axes, axis)


def token(*parts: object) -> str:
    """A name for a graph from what determines its result."""
    from dask.base import tokenize

    return tokenize(*parts)


def equalize_dask(
    image: Any,
    *,
    method: str,
    nbins: int | None,
    mask: object,
    channel_axis: int | None,
    batch_axis: int | tuple[int, ...] | None,
    out: object,
    target: object,
    color: str | None,
    channel_order: str,
    keep_alpha: bool,
    count_transparent: bool = False,
) -> Any:
    """:func:`histeq.equalize` of a Dask array: a lazy Dask array of the same chunks."""
    image = check_dask_image(image)
    check_no_out(out)
    target_argument, target = target, check_target(target)
    record = equalize_method(method, image.dtype, target=target is not None)
    nbins = check_nbins(nbins)
    axis = check_channel_axis(channel_axis, image.ndim)
    batch = check_batch_axis(batch_axis, image.shape, axis)
    lazy_mask = checked_mask(mask, image, batch, axis)
    colour = check_colour_mode(color, channel_order, keep_alpha, axis, image.shape, count_transparent)
    if colour is not None:
        from .colour import run_lazy

        if mask is not None and not is_dask_array(mask) and batch is None and (colour.luminance or color == "joint"):
            spatial_mask(check_mask(mask, image.shape, axis), colour.axis)  # one mask for every channel
        inner = None if batch is None else tuple(a - (a > colour.axis) for a in batch.axes)

        def grey(plane: Any, plane_mask: Any, channel_axis: int | None = None) -> Any:
            return equalize_dask(
                plane,
                method=method,
                nbins=nbins,
                mask=plane_mask,
                channel_axis=channel_axis,
                batch_axis=inner,
                out=None,
                target=target_argument,
                color=None,
                channel_order="rgb",
                keep_alpha=False,
            )

        return run_lazy(image, colour, lazy_mask, grey, lambda colours, m: grey(colours, m, -1), counts_visible=True)
    # whether the method maps whole frames with these options: asked of a one-pixel image of this layout
    probe = np.zeros(tuple(n if i == axis else 1 for i, n in enumerate(image.shape)), image.dtype)
    frames = record.frames is not None and record.frames(probe, axis, None, None, channel_order, keep_alpha) is not None
    if frames:
        raise ValueError(
            f"method={method!r} with these options maps whole frames (one histogram of their luminance, not "
            "a plan per channel), which Dask arrays do not take; compute the array first"
        )
    result_dtype = record.output_dtype(image.dtype)
    if record.maps_values and is_integer(image.dtype):
        nbins = None  # scikit-image counts integers one bin per level
    weights = None if target is None else target_weights(target, default_levels(result_dtype))
    name = "histeq-equalize-" + token(image, lazy_mask, record.name, nbins, weights, batch, axis)
    graph = Graph(image, lazy_mask, groups_of(image, batch, axis), name)
    graph.count(Bins(image.dtype, nbins))
    graph.plan(plans_of, record, image.dtype, weights)
    return graph.mapped(result_dtype)


def plans_of(
    counts: dict[Key, np.ndarray],
    binnings: dict[Key, Binning],
    record: Method,
    dtype: np.dtype,
    weights: np.ndarray | None,
) -> dict[Key, Plan]:
    """Every group's plan: :func:`build_plan` on its summed counts."""
    return {key: build_plan(record, counts[key], binnings[key], dtype, weights) for key in binnings}


def histogram_dask(
    image: Any,
    *,
    nbins: int | None,
    mask: object,
    value_range: object,
    channel_axis: int | None,
    batch_axis: int | tuple[int, ...] | None,
) -> Histogram:
    """:func:`histeq.histogram` of a Dask array: numpy counts and edges,
    computing only the reductions (extents where the bins need them, counts)."""
    image = check_dask_image(image)
    nbins = check_nbins(nbins)
    axis = check_channel_axis(channel_axis, image.ndim)
    batch = check_batch_axis(batch_axis, image.shape, axis)
    lazy_mask = checked_mask(mask, image, batch, axis)
    checked_range = check_value_range(value_range, image.dtype)
    name = "histeq-histogram-" + token(image, lazy_mask, nbins, checked_range, batch, axis)
    groups = groups_of(image, batch, axis)
    graph = Graph(image, lazy_mask, groups, name)
    graph.count(Bins(image.dtype, nbins, checked_range, shared=True))
    counts: dict[Key, np.ndarray] = {}
    binnings: dict[Key, Binning] = {}
    for total, chunk_binnings in graph.results("count-total", "binning").values():
        counts.update(total)
        binnings.update(chunk_binnings)
    channels = [None] if axis is None else list(range(image.shape[axis]))

    def key(item: tuple[int, ...], channel: int | None) -> Key:
        return item if channel is None else (*item, channel)

    def item_counts(item: tuple[int, ...]) -> np.ndarray:
        stacked = np.stack([counts[key(item, c)] for c in channels])
        return stacked if axis is not None else stacked[0]

    if batch is None:
        return Histogram(item_counts(()), binnings[key((), channels[0])].edges())
    items = list(batch.indices())
    per_item = [binnings[key(item, channels[0])] for item in items]
    sizes = {binning.nbins for binning in per_item}
    if len(sizes) > 1:
        raise ValueError(
            f"the items have different numbers of bins ({min(sizes)} to {max(sizes)}): their {image.dtype} "
            "values span different ranges; pass nbins or value_range to give every item the same bins"
        )
    stacked = np.stack([item_counts(item) for item in items])
    table = stacked.reshape(batch.shape + stacked.shape[1:])
    fixed = is_integer(image.dtype) and nbins is None and (checked_range is not None or is_small_integer(image.dtype))
    if fixed and isinstance(per_item[0], LevelBins):
        return Histogram(table, np.broadcast_to(per_item[0].edges(), batch.shape + (per_item[0].nbins + 1,)))
    edges = np.stack([binning.edges() for binning in per_item])
    return Histogram(table, edges.reshape(batch.shape + edges.shape[1:]))
