"""``match_histograms`` of Dask arrays: the image's and the reference's
counts from their blocks, the in-memory matching plan on the sums
(:func:`histeq.matching.match_plan`), every block mapped through it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.batch import Batch, batch_mask, check_batch_axis
from .._core.binning import Binning, LevelBins
from .._core.colour_modes import ColourMode, check_colour_mode
from .._core.levels import is_small_integer
from .._core.methods import MATCH_METHODS
from .._core.validate import (
    as_image,
    check_channel_axis,
    check_choice,
    check_mask,
    check_reference_channels,
    check_skimage_matching,
    unmask,
)
from ..matching import (
    MatchPlan,
    _Reference,
    check_skimage_reference,
    image_bins,
    match_plan,
    reference_bins,
    reference_of,
    skimage_dtypes,
    skimage_table,
)
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
    if method == "skimage":
        _check_skimage(image, ref, mask, reference_mask, ref_hidden)
    name = token(image, lazy_mask, ref, ref_mask, batch, axis, method)
    graph = Graph(image, lazy_mask, groups_of(image, batch, axis), "histeq-match-" + name)
    nbins, _, bins_name, fit = image_bins(image.dtype) if method == "histeq" else (None, None, "image", False)
    graph.count(Bins(image.dtype, nbins, fit=fit, name=bins_name))
    ref_graph = Graph(ref, ref_mask, ref_groups, "histeq-match-reference-" + name)
    nbins, _, bins_name, fit = reference_bins(ref.dtype) if method == "histeq" else (None, None, "reference", False)
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
            axis is not None if method == "skimage" else None,
        ),
    )
    dtype = image.dtype if method == "histeq" else skimage_dtypes(image.dtype, axis)[1]
    return graph.mapped(dtype)


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
    skimage_channels: bool | None,
) -> dict[Key, MatchPlan | SkimagePlan]:
    """Every group's plan: :func:`match_plan` of its counts through its
    reference (the group's own, or with ``shared_from`` > 0 the shared
    reference's channel: the key from that index on); with
    ``skimage_channels`` not None (whether the image has a channel axis),
    scikit-image's (:func:`histeq.matching.skimage_table`)."""
    if skimage_channels is not None:
        return _skimage_plans(counts, binnings, ref_counts, ref_binnings, dtype, skimage_channels)
    references: dict[Key, _Reference] = {}
    plans: dict[Key, MatchPlan | SkimagePlan] = {}
    for key in binnings:
        ref_key = key[shared_from:]
        if ref_key not in references:
            references[ref_key] = reference_of(ref_binnings[ref_key], ref_counts[ref_key], ref_dtype)
        plans[key] = match_plan(counts[key], binnings[key], dtype, references[ref_key])
    return plans


# --- method "skimage" ------------------------------------------------------------


def _check_skimage(image: Any, ref: Any, mask: object, reference_mask: object, ref_hidden: np.ndarray | None) -> None:
    # What scikit-image's matching takes, and what its Dask counterpart can count: levels of 8/16-bit integers.
    check_skimage_matching(image, ref, mask, reference_mask)
    if ref_hidden is not None and ref_hidden.any():
        raise ValueError(
            "reference is a MaskedArray with masked pixels, and method='skimage' has no masks (scikit-image "
            "counts every pixel); use method='histeq', which counts only the unmasked ones, or reference.filled(...)"
        )
    if not (is_small_integer(image.dtype) and is_small_integer(ref.dtype)):
        raise ValueError(
            "method='skimage' takes 8- and 16-bit integer Dask arrays (image and reference): scikit-image counts "
            f"other values by np.unique, one global sort; got {image.dtype} and {ref.dtype}; use method='histeq' "
            "or compute the arrays first"
        )


@dataclass(frozen=True)
class SkimagePlan:
    """scikit-image's matching of one group: a table of every level of its binning."""

    binning: Binning
    table: np.ndarray

    def apply_line(self, source: np.ndarray, target: np.ndarray, memo: np.ndarray | None = None) -> None:
        """Map a pixel line into ``target`` through the table."""
        assert isinstance(self.binning, LevelBins)  # 8/16-bit integers
        self.binning.apply(self.table, source, target)


def _skimage_plans(
    counts: dict[Key, np.ndarray],
    binnings: dict[Key, Binning],
    ref_counts: dict[Key, np.ndarray],
    ref_binnings: dict[Key, Binning],
    dtype: np.dtype,
    channels: bool,
) -> dict[Key, MatchPlan | SkimagePlan]:
    channel_dtype, result_dtype = skimage_dtypes(dtype, 0 if channels else None)
    plans: dict[Key, MatchPlan | SkimagePlan] = {}
    for key, binning in binnings.items():  # the reference has the image's dimensions: the same keys
        ref_binning = ref_binnings[key]
        assert isinstance(ref_binning, LevelBins)
        ref_values = ref_binning.centres()
        check_skimage_reference(ref_values, ref_counts[key], dtype)
        table = skimage_table(counts[key], ref_counts[key], ref_values, channel_dtype, result_dtype)
        plans[key] = SkimagePlan(binning, table)
    return plans
