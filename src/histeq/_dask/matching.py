"""``match_histograms`` of Dask arrays: the image's and the reference's
counts from their blocks, the in-memory matching plan on the sums
(:func:`histeq.matching.match_plan`), every block mapped through it."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.batch import Batch, batch_mask, check_batch_axis
from .._core.binning import Binning
from .._core.colour_modes import ColourMode, check_colour_mode
from .._core.methods import MATCH_METHODS
from .._core.validate import as_image, check_channel_axis, check_choice, check_mask, check_reference_channels, unmask
from ..matching import MatchPlan, _Reference, image_bins, match_plan, reference_bins, reference_of
from . import is_dask_array
from .blocks import Groups, Key
from .equalize import checked_mask, groups_of, token
from .graph import Bins, Graph
from .inputs import check_dask_image, dask_mask


def match_dask(
    image: Any,
    reference: object,
    *,
    channel_axis: int | None,
    mask: object,
    reference_mask: object,
    method: str,
    color: str | None,
    channel_order: str,
    keep_alpha: bool,
    batch_axis: int | tuple[int, ...] | None,
    count_transparent: bool = False,
) -> Any:
    """:func:`histeq.match_histograms` of a Dask ``image`` (``reference`` a
    Dask or numpy array): a lazy Dask array of the image's chunks."""
    image = check_dask_image(image)
    ref, ref_hidden = _reference(reference)
    method = check_choice("method", method, MATCH_METHODS)
    if method != "histeq":
        raise ValueError(
            f"method={method!r} is not available for Dask arrays (scikit-image counts the distinct values of "
            "the whole image, one global sort); use method='histeq', or compute the array first"
        )
    axis = check_channel_axis(channel_axis, image.ndim)
    batch = check_batch_axis(batch_axis, image.shape, axis)
    colour = check_colour_mode(color, channel_order, keep_alpha, axis, image.shape, count_transparent)
    lazy_mask = checked_mask(mask, image, batch, axis)
    ref, ref_groups, ref_check, per_item = _reference_layout(ref, image, batch, axis)
    ref_mask = dask_mask(reference_mask, ref, ref_check)
    if ref_hidden is not None:  # a numpy MaskedArray reference: its unmasked pixels
        visible = ~ref_hidden if ref_mask is None else ref_mask & ~ref_hidden
        ref_mask = dask_mask(visible, ref, ref_check)
    if colour is not None:
        assert ref_groups.channel_axis is not None  # a colour mode has a channel axis, the reference too
        return _match_colour(image, ref, colour, ref_groups.channel_axis, lazy_mask, ref_mask, batch, method)
    name = token(image, lazy_mask, ref, ref_mask, batch, axis)
    graph = Graph(image, lazy_mask, groups_of(image, batch, axis), "histeq-match-" + name)
    nbins, _, bins_name, fit = image_bins(image.dtype)
    graph.count(Bins(image.dtype, nbins, fit=fit, name=bins_name))
    ref_graph = Graph(ref, ref_mask, ref_groups, "histeq-match-reference-" + name)
    nbins, _, bins_name, fit = reference_bins(ref.dtype)
    ref_graph.count(Bins(ref.dtype, nbins, fit=fit, name=bins_name))
    graph.include(ref_graph)
    batch_size = 0 if batch is None else len(batch.axes)

    def reference_chunk(chunk: Key) -> tuple[tuple, tuple]:
        ref_chunk = chunk if per_item else ()
        return (f"count-total-{ref_graph.name}", *ref_chunk), (f"binning-{ref_graph.name}", *ref_chunk)

    graph.per_chunk(
        "plan",
        lambda c: (
            match_plans,
            (f"count-total-{graph.name}", *c),
            (f"binning-{graph.name}", *c),
            *reference_chunk(c),
            image.dtype,
            ref.dtype,
            0 if per_item else batch_size,
        ),
    )
    return graph.mapped(image.dtype)


def _match_colour(
    image: Any, ref: Any, colour: ColourMode, ref_axis: int, mask: Any, ref_mask: Any, batch: Batch | None, method: str
) -> Any:
    # The image's luminance (or colours, pooled or each on its own) matched to the reference's, put back block by
    # block (colour.run_lazy), transparent pixels counted as in memory.
    from .colour import lazy_parts, run_lazy

    reference = lazy_parts(ref, colour, ref_axis, ref_mask, counts_visible=True)
    inner = None if batch is None else tuple(a - (a > colour.axis) for a in batch.axes)

    def match(source: Any, source_mask: Any, target: Any, target_mask: Any, channel_axis: int | None) -> Any:
        return match_dask(
            source,
            target,
            channel_axis=channel_axis,
            mask=source_mask,
            reference_mask=target_mask,
            method=method,
            color=None,
            channel_order="rgb",
            keep_alpha=False,
            batch_axis=inner,
        )

    return run_lazy(
        image,
        colour,
        mask,
        lambda plane, plane_mask: match(plane, plane_mask, reference.grey, reference.grey_mask, None),
        lambda colours, colour_mask: match(colours, colour_mask, reference.colours, reference.channel_mask, -1),
        counts_visible=True,
    )


def _reference(reference: object) -> tuple[Any, np.ndarray | None]:
    # The reference as a Dask array, and a numpy MaskedArray's mask (or None).
    import dask.array as da

    if is_dask_array(reference):
        return check_dask_image(reference, "reference"), None
    data, masked = unmask(reference)
    array = as_image(data, "reference")
    return da.from_array(array, chunks=array.shape), None if masked is None else masked.hidden


def _reference_layout(ref: Any, image: Any, batch: Batch | None, axis: int | None) -> tuple[Any, Groups, Any, bool]:
    """``(reference, its groups, the check of reference_mask, per_item)``:
    with ``batch_axis``, a reference of the image's dimensions is a batch of
    references (rechunked along the batch axes as the image), else one
    reference shared by every item (its channel axis counted in one item's
    dimensions), as the in-memory call reads them."""
    if batch is None or ref.ndim != image.ndim:
        item_axis = axis if batch is None else batch.item_axis(axis)
        ref_axis = None if axis is None else check_reference_channels(ref.shape, item_axis, image.shape[axis])

        def check(value: object) -> np.ndarray | None:
            return check_mask(value, ref.shape, ref_axis, "reference_mask", "reference")

        return ref, Groups(ref.ndim, (), ref_axis), check, False
    shape = tuple(ref.shape[a] for a in batch.axes)
    if shape != batch.shape:
        raise ValueError(
            f"reference has the image's {ref.ndim} dimensions, so it is a batch of references, one per "
            f"item: its batch shape must be the image's {batch.shape} along batch_axis {batch.axes}; got {shape} "
            "(a reference shared by every item has one image's dimensions)"
        )
    ref = ref.rechunk({a: image.chunks[a] for a in batch.axes})

    def batch_check(value: object) -> np.ndarray | None:
        return batch_mask(value, ref.shape, batch, axis, "reference_mask", "reference")

    return ref, Groups(ref.ndim, batch.axes, axis), batch_check, True


def match_plans(
    counts: dict[Key, np.ndarray],
    binnings: dict[Key, Binning],
    ref_counts: dict[Key, np.ndarray],
    ref_binnings: dict[Key, Binning],
    dtype: np.dtype,
    ref_dtype: np.dtype,
    shared_from: int,
) -> dict[Key, MatchPlan]:
    """Every group's plan: :func:`match_plan` of its counts through its
    reference (the group's own, or with ``shared_from`` > 0 the shared
    reference's channel: the key from that index on)."""
    references: dict[Key, _Reference] = {}
    plans = {}
    for key in binnings:
        ref_key = key[shared_from:]
        if ref_key not in references:
            references[ref_key] = reference_of(ref_binnings[ref_key], ref_counts[ref_key], ref_dtype)
        plans[key] = match_plan(counts[key], binnings[key], dtype, references[ref_key])
    return plans
