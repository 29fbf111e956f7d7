"""``histeq.match_histograms``: give an image the histogram of a reference.

The same three steps as equalization: count the image and the reference
(existing binnings and kernels), plan (the image's cdf through the
reference's inverse cdf, per image bin: one compiled ``np.interp`` for
integer references, numpy otherwise), apply the LUT or interpolation with
the existing kernels. Contiguous uint8/uint16 arrays without masks or
channels take a short path through the same kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._core.batch import Batch, batch_mask, check_batch_axis, over_items
from ._core.binning import (
    BYTE_LEVELS,
    DEFAULT_FLOAT_BINS,
    WORD_LEVELS,
    Binning,
    EqualBins,
    HalfBins,
    Interp,
    LevelBins,
    OffsetBins,
    choose_binning,
)
from ._core.colour_modes import ColourMode, check_colour_mode, spatial_mask, visible
from ._core.colour_modes import run as run_colour_mode
from ._core.colour_spaces import split_luminance
from ._core.layout import LinePair, contiguous_order, line_pairs, source_lines
from ._core.levels import is_integer, is_small_integer, skimage_float_dtype
from ._core.methods import MATCH_METHODS
from ._core.validate import (
    Masked,
    as_image,
    check_channel_axis,
    check_choice,
    check_mask,
    check_reference_channels,
    check_skimage_matching,
    unmask,
)
from ._dask import is_dask_array
from .backends import kernels

#: Equal bins of float images and float references in method "histeq" (float16: 256).
FLOAT_BINS = 4096
#: The level bins of the fast path's dtypes, and the values of those levels.
_PLAIN_LEVELS = {np.dtype(np.uint8): BYTE_LEVELS, np.dtype(np.uint16): WORD_LEVELS}
_LEVEL_VALUES = np.arange(1 << 16, dtype=np.float64)
#: The largest float64 below 2**64 (float64 has no 2**64 - 1).
_BELOW_2_64 = float(np.nextafter(2.0**64, 0))


def match_histograms(
    image: np.ndarray,
    reference: np.ndarray,
    *,
    channel_axis: int | None = None,
    mask: np.ndarray | None = None,
    reference_mask: np.ndarray | None = None,
    method: str = "histeq",
    color: str | None = None,
    channel_order: str = "rgb",
    keep_alpha: bool = False,
    batch_axis: int | tuple[int, ...] | None = None,
    count_transparent: bool = False,
) -> np.ndarray:
    """Map an image so that its histogram matches that of a reference.

    Each level ``v`` of the image goes to the reference value at the image's
    cumulative fraction: ``F(v) = #(pixels <= v) / N`` looked up in the
    reference's inverse cdf by linear interpolation between the points
    ``(G_k, r_k)``, as scikit-image does: ``np.interp(F(v), G, r)``.

    Parameters
    ----------
    image : ndarray, any shape, integer or float dtype
        The image to map. Not modified. A ``numpy.ma.MaskedArray`` counts
        only its unmasked pixels (combined with ``mask`` by AND); every pixel
        is mapped, and the result is a MaskedArray with a copy of its mask.
    reference : ndarray, integer or float dtype
        The histogram to match. Any dtype and size (``method="skimage"``: the
        image's number of dimensions, and an integer reference for an unsigned
        image, as scikit-image requires). Not modified. A MaskedArray counts
        only its unmasked pixels (combined with ``reference_mask``).
    channel_axis : int, optional
        Match each channel along this axis to the reference's channel along
        the same axis (a negative axis counts from the end of each array); the
        reference must have the image's number of channels.
    mask : ndarray of bool, optional
        Only image pixels where ``mask`` is True are counted; every pixel is
        mapped. The image's shape, or without the channel axis.
    reference_mask : ndarray of bool, optional
        Only reference pixels where it is True are counted. The reference's
        shape, or without the channel axis.
    count_transparent : bool
        As in :func:`histeq.equalize`: by default pixels whose alpha is 0
        (where a channel is alpha) are not counted, in the image nor in the
        reference; True counts every pixel.
    batch_axis : int or tuple of int, optional
        Every index along these axes of ``image`` is an image of its own,
        matched as ``match_histograms`` matches it alone (bit-identical to a
        loop over the items). A ``reference`` with one image's dimensions is
        shared by every item; a reference with the image's dimensions is a
        batch of references, one per item (the image's batch shape along the
        same axes; its other axes any size). ``mask`` and, for a batch of
        references, ``reference_mask`` may be per item (the array's shape)
        or shared (without the batch axes), either also without the channel
        axis, as for :func:`histeq.equalize`. Items run one after another
        (over the threads when there are many).
    method : {"histeq", "skimage"}
        - ``"histeq"`` (default): output in the image's dtype. Integer images:
          one bin per level (8/16-bit, and wider ones spanning at most 65536
          levels; else 65536 equal bins whose pixels share one value), the
          mapped value rounded half to even to the nearest level and clipped
          into the dtype. Float images: the image's cdf in 4096 equal bins,
          piecewise linear through its bin edges ``e_k`` with ``F(e_k)`` the
          fraction of pixels below ``e_k``; each pixel is mapped by
          ``np.interp`` through the edges' mapped values, so values come
          from the reference's range. Reference points ``(G_k, r_k)``: integer
          references, their occupied levels and cumulative fractions (as
          scikit-image); float references, 4096 equal bins' edges and the
          fractions below them (``G_0 = 0``; a constant float reference
          ``v`` spans ``np.histogram``'s bins ``v +- 0.5``). Float ranges
          too narrow for 4096 (float16: 256) distinct edges in their dtype
          get half as many bins, and so on. Every value lies in the
          reference's finite range [min, max] of its counted pixels:
          rounded into it for integer images, clipped into it (as the
          image's float dtype holds it) for float images.
        - ``"skimage"``: ``skimage.exposure.match_histograms`` to the last
          bit: float64 (float32 for float16/32 images) without
          ``channel_axis``; with ``channel_axis`` the values truncated into
          the image's dtype, as scikit-image writes them. No masks (nor
          MaskedArrays with masked pixels).

    Returns
    -------
    ndarray
        Same shape as ``image``. Dtype: the image's for ``"histeq"``; for
        ``"skimage"`` as described above.

    Raises
    ------
    TypeError, ValueError
        For unsupported dtypes, 0-d or empty arrays, an unknown method, a
        reference without the image's channels, masks of the wrong shape or
        dtype or that select no pixel (or only NaN), masks with
        ``"skimage"``, and +-inf in the image or the reference.

    Notes
    -----
    NaN: with ``"histeq"`` never counted and kept as NaN; ``"skimage"``
    refuses it (scikit-image counts NaN as a value). Matching an image to
    itself returns it for integer images (each level's fraction is a point of
    the reference cdf); float images come back within rounding of one
    ulp or so, as the cdf passes through bin edges.

    Integer references wider than 16 bits are held as offsets from their
    lowest level, added back in integer arithmetic: levels are exact also
    where float64 has none (int64 near 2**63), and ties round half to even
    on the level itself.

    Memory: the output, plus histograms and tables of at most 65536 entries
    per channel; no float copy of integer images. For ``"skimage"``, images
    that are not 8/16-bit integers (and reference likewise) are counted with
    ``np.unique`` (a sorted copy of one channel; float16 images also a float32
    copy), and each pixel is mapped by a binary search over the distinct
    values.
    """
    if is_dask_array(image):  # lazy, block by block (histeq._dask)
        from ._dask.matching import match_dask

        return match_dask(
            image,
            reference,
            channel_axis=channel_axis,
            mask=mask,
            reference_mask=reference_mask,
            method=method,
            color=color,
            channel_order=channel_order,
            keep_alpha=keep_alpha,
            batch_axis=batch_axis,
            count_transparent=count_transparent,
        )
    plain = channel_axis is None and mask is None and reference_mask is None and color is None and not keep_alpha
    plain = plain and batch_axis is None
    if plain and channel_order == "rgb" and _is_plain(image, reference, method):
        return _match_plain(image, reference, method)
    image_data, masked = unmask(image)
    reference_data, ref_masked = unmask(reference)
    image = as_image(image_data)
    reference = as_image(reference_data, "reference")
    method = check_choice("method", method, MATCH_METHODS)
    axis = check_channel_axis(channel_axis, image.ndim)
    batch = check_batch_axis(batch_axis, image.shape, axis)
    if batch is not None:
        check_colour_mode(color, channel_order, keep_alpha, axis, image.shape, count_transparent)
        mask = batch_mask(mask, image.shape, batch, axis)
        if masked is not None:
            mask = masked.counted(mask)
        per_item = reference.ndim == image.ndim
        if per_item:
            reference_mask = _reference_batch(reference, ref_masked, reference_mask, batch, axis)
        elif ref_masked is not None:
            reference = np.ma.MaskedArray(
                reference, mask=np.ma.nomask if ref_masked.hidden is None else ref_masked.hidden
            )
        item_references = batch.front(reference) if per_item else None
        reference_masks = None if reference_mask is None or not per_item else batch.front(reference_mask)
        item_axis = batch.item_axis(axis)

        def item(
            source: np.ndarray, item_mask: np.ndarray | None, target: np.ndarray | None, index: tuple[int, ...]
        ) -> np.ndarray:
            return match_histograms(
                source,
                reference if item_references is None else item_references[index],
                channel_axis=item_axis,
                mask=item_mask,
                reference_mask=reference_mask if reference_masks is None else reference_masks[index],
                method=method,
                color=color,
                channel_order=channel_order,
                keep_alpha=keep_alpha,
                count_transparent=count_transparent,
            )

        return over_items(image, masked, batch, mask, None, item)
    ref_axis = None if axis is None else check_reference_channels(reference.shape, channel_axis, image.shape[axis])
    colour = check_colour_mode(color, channel_order, keep_alpha, axis, image.shape, count_transparent)
    if method == "skimage" and colour is None:
        _check_nothing_masked(masked, "image")
        _check_nothing_masked(ref_masked, "reference")
        check_skimage_matching(image, reference, mask, reference_mask)
        result = _match_skimage(image, reference, axis, ref_axis)
        return result if masked is None else masked.wrap(result, image)
    mask = check_mask(mask, image.shape, axis)
    reference_mask = check_mask(reference_mask, reference.shape, ref_axis, "reference_mask", "reference")
    if masked is not None:
        mask = masked.counted(mask)
    if ref_masked is not None:
        reference_mask = ref_masked.counted(reference_mask)
    if colour is not None:
        assert ref_axis is not None  # a colour mode has a channel axis, checked on the reference too
        mask = visible(image, colour.axis, colour, mask)
        reference_mask = visible(reference, ref_axis, colour, reference_mask)
        result = _match_colour(image, reference, colour, ref_axis, mask, reference_mask, method)
        return result if masked is None else masked.wrap(result, image)
    result = np.empty_like(image)
    references = source_lines(reference, reference_mask, ref_axis)
    for pair, (ref_line, ref_mask, _) in zip(line_pairs(image, mask, result, axis), references):
        _match_line(pair, image.dtype, _count_reference(ref_line, ref_mask, reference.dtype))
        pair.finish()
    return result if masked is None else masked.wrap(result, image)


def _reference_batch(
    reference: np.ndarray, masked: Masked | None, reference_mask: object, batch: Batch, axis: int | None
) -> np.ndarray | None:
    """The counted pixels of a batch of references (the image's number of
    dimensions, the image's batch shape): ``reference_mask`` (checked as a
    batch mask) and a MaskedArray's mask, broadcast to the reference's shape."""
    shape = tuple(reference.shape[a] for a in batch.axes)
    if shape != batch.shape:
        raise ValueError(
            f"reference has the image's {reference.ndim} dimensions, so it is a batch of references, one per "
            f"item: its batch shape must be the image's {batch.shape} along batch_axis {batch.axes}; got {shape} "
            "(a reference shared by every item has one image's dimensions)"
        )
    mask = batch_mask(reference_mask, reference.shape, batch, axis, "reference_mask", "reference")
    return mask if masked is None else masked.counted(mask)


def _match_colour(
    image: np.ndarray,
    reference: np.ndarray,
    colour: ColourMode,
    ref_axis: int,
    mask: np.ndarray | None,
    reference_mask: np.ndarray | None,
    method: str,
) -> np.ndarray:
    """``match_histograms`` in a ``color=`` mode: the image's luminance to the
    reference's luminance (or the colour channels, pooled or each on its own,
    to the reference's), alpha kept."""
    ref_view = np.moveaxis(reference, ref_axis, -1)
    ref_colours = ref_view[..., : colour.colours]
    ref_pixels = spatial_mask(reference_mask, ref_axis)
    if colour.luminance:
        ref_grey = split_luminance(ref_colours, colour.mode, order=colour.order).plane
        ref_grey_mask = ref_pixels
    elif colour.mode == "joint":
        ref_grey = ref_colours
        ref_grey_mask = None if ref_pixels is None else np.broadcast_to(ref_pixels[..., None], ref_colours.shape)
    ref_channel_mask = (
        None if reference_mask is None else np.moveaxis(reference_mask, ref_axis, -1)[..., : colour.colours]
    )

    def grey(plane: np.ndarray, plane_mask: np.ndarray | None) -> np.ndarray:
        return match_histograms(plane, ref_grey, mask=plane_mask, reference_mask=ref_grey_mask, method=method)

    def per_channel(colours: np.ndarray, colour_mask: np.ndarray | None) -> np.ndarray:
        return match_histograms(
            colours, ref_colours, channel_axis=-1, mask=colour_mask, reference_mask=ref_channel_mask, method=method
        )

    return run_colour_mode(image, colour, mask, None, grey, per_channel)


def _check_nothing_masked(masked: Masked | None, name: str) -> None:
    # method="skimage" has no masks: a MaskedArray must have no masked pixel.
    if masked is not None and masked.hidden is not None and masked.hidden.any():
        raise ValueError(
            f"{name} is a MaskedArray with masked pixels, and method='skimage' has no masks (scikit-image "
            f"counts every pixel); use method='histeq', which counts only the unmasked ones, or {name}.filled(...)"
        )


def _is_plain(image: object, reference: object, method: object) -> bool:
    # The common case, served by _match_plain: non-empty contiguous uint8 or
    # uint16 arrays (of the same number of dimensions for "skimage").
    if not (type(image) is np.ndarray and type(reference) is np.ndarray):
        return False
    if not all(a.dtype in _PLAIN_LEVELS and a.ndim and a.size for a in (image, reference)):
        return False
    if not (type(method) is str and (method == "histeq" or (method == "skimage" and image.ndim == reference.ndim))):
        return False
    return contiguous_order(image) is not None and contiguous_order(reference) is not None


def _match_plain(image: np.ndarray, reference: np.ndarray, method: str) -> np.ndarray:
    # ``match_histograms`` of contiguous 8/16-bit unsigned arrays without
    # masks or channels: each array's one line of pixels in memory order is
    # counted, the plan is one compiled call (which also rounds for
    # "histeq") and a LUT maps the image, without the general path's layers
    # (each costly when its code is out of the caches, as when other work ran
    # since the last call).

    order = contiguous_order(image)
    source = image.reshape(-1, order=order)
    binning = _PLAIN_LEVELS[image.dtype]
    counts = binning.count(source, None)
    ref_line = reference.reshape(-1, order=contiguous_order(reference))
    ref_counts = _PLAIN_LEVELS[reference.dtype].count(ref_line, None)
    ref_values = _LEVEL_VALUES[: ref_counts.size]
    if method == "histeq":  # levels 0 .. top: rounded and clipped as _nearest_levels does
        table = np.empty(counts.size, image.dtype)
        kernels().interp_cdf(counts, ref_counts, ref_values, table, float(counts.size - 1))
    else:  # scikit-image's float64 values
        table = np.empty(counts.size)
        kernels().interp_cdf(counts, ref_counts, ref_values, table)
    result = np.empty_like(image, dtype=table.dtype)
    binning.apply(table, source, result.reshape(-1, order=order))
    return result


def _check_counted(counts: np.ndarray, name: str, mask_name: str) -> None:
    # None counted is an error.
    if not counts.any():
        raise ValueError(f"{name} has no pixel to count: {mask_name} selects none, or every selected value is NaN")


def _fractions(counts: np.ndarray) -> np.ndarray:
    # Cumulative fractions of the counted pixels, float64.
    return np.cumsum(counts) / counts.sum()


@dataclass(frozen=True)
class _Reference:
    """A reference line counted: its binning and int64 counts, and how its
    values are held.

    ``base``: values are held as float64 offsets above this exact integer:
    0 for float references and 8/16-bit integers (their values as they are,
    exact in float64), else the lowest level of the reference's bins (wider
    integers, binned over their occupied range), so that offsets are exact
    whatever the levels (int64 levels near 2**63 are 2048 apart in float64)
    and levels are added back in integer arithmetic.
    ``low``, ``high``: the counted pixels' finite min and max (Python ints
    for integer references), the range every mapped value is clipped to.
    """

    binning: Binning
    counts: np.ndarray
    integer: bool
    base: int
    low: int | float
    high: int | float

    def values(self) -> np.ndarray:
        """The value of each bin minus ``base`` (float64): level bins, each
        level; equal bins, each edge."""
        binning = self.binning
        if isinstance(binning, LevelBins):
            return np.arange(binning.nbins, dtype=np.float64) + float(int(binning.lo) - self.base)
        if self.integer:  # wide integers in equal bins: offsets from the occupied range's exact first level
            assert isinstance(binning, (EqualBins, OffsetBins)) and binning.ends is not None
            first, last = binning.ends
            return np.linspace(0.0, float(int(last) - int(first)), binning.nbins + 1)
        return binning.edges().astype(np.float64)

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """``(G, r - base)``: cumulative fractions and reference values
        (float64, both non-decreasing), the reference's inverse cdf for
        ``np.interp``: level bins, their occupied levels; equal bins, their
        edges and the fractions below them."""
        fractions = _fractions(self.counts)
        if isinstance(self.binning, LevelBins):
            occupied = np.flatnonzero(self.counts)
            return fractions[occupied], self.values()[occupied]
        return np.concatenate(([0.0], fractions)), self.values()

    def absolute(self, offsets: np.ndarray) -> np.ndarray:
        """Float64 values from offsets, clipped to the reference's range."""
        values = offsets + float(self.base) if self.base else offsets
        return np.clip(values, float(self.low), float(self.high))

    def levels(self, offsets: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """The level of integer ``dtype`` nearest to ``base + offset`` (half
        to even), within the reference's range and clipped into ``dtype``:
        exact for any levels (integer arithmetic for integer references)."""
        if not self.integer:
            return _nearest_levels(self.absolute(offsets), dtype)
        assert isinstance(self.low, int) and isinstance(self.high, int)
        whole = _round_half_even(offsets, self.base)
        low, high = self.low - self.base, self.high - self.base  # the range, as exact offsets
        below, above = whole < _float_up(low), whole > _float_down(high)
        inside = np.clip(whole, _float_up(low), _float_down(high))
        negative = np.clip(inside, -(2.0**63), 0.0).astype(np.int64).view(np.uint64)
        wrapped = np.where(inside < 0, negative, np.clip(inside, 0.0, _BELOW_2_64).astype(np.uint64))
        wrapped[below] = low % 2**64
        wrapped[above] = high % 2**64
        wrapped += np.uint64(self.base % 2**64)  # base + offset, exact modulo 2**64
        signed = self.low < 0
        return _clip_levels(wrapped.view(np.int64) if signed else wrapped, dtype)


def _count_reference(line: np.ndarray, mask: np.ndarray | None, dtype: np.dtype) -> _Reference:
    """The reference line counted (at least one pixel)."""
    binning = choose_binning([(line, mask)], dtype, *reference_bins(dtype))
    return reference_of(binning, binning.count(line, mask), dtype)


def reference_bins(dtype: np.dtype) -> tuple[int | None, None, str, bool]:
    """``choose_binning``'s ``nbins, value_range, name, fit`` for a reference of ``dtype``."""
    return None if is_integer(dtype) else _float_bins(dtype), None, "reference", True


def image_bins(dtype: np.dtype) -> tuple[int | None, None, str, bool]:
    """``choose_binning``'s ``nbins, value_range, name, fit`` for an image of ``dtype``."""
    return (None, None, "image", False) if is_integer(dtype) else (_float_bins(dtype), None, "image", True)


def reference_of(binning: Binning, counts: np.ndarray, dtype: np.dtype) -> _Reference:
    """A reference of ``dtype`` from its binning and int64 counts (at least one pixel counted)."""
    integer = is_integer(dtype)
    _check_counted(counts, "reference", "reference_mask")
    if isinstance(binning, LevelBins):
        occupied = np.flatnonzero(counts)
        lo = int(binning.lo)
        base = 0 if is_small_integer(dtype) else lo
        return _Reference(binning, counts, True, base, lo + int(occupied[0]), lo + int(occupied[-1]))
    bins = binning.bins if isinstance(binning, HalfBins) else binning
    assert bins.ends is not None  # EqualBins.between keeps them
    first, last = bins.ends
    if integer:
        return _Reference(binning, counts, True, int(first), int(first), int(last))
    return _Reference(binning, counts, False, 0, float(first), float(last))


def _match_line(pair: LinePair, dtype: np.dtype, ref: _Reference) -> None:
    # Count the image line, plan its mapping through the reference's inverse
    # cdf, and apply it.
    line, mask = pair.source, pair.mask
    binning = choose_binning([(line, mask)], dtype, *image_bins(dtype))
    if is_integer(dtype):
        counts, memo = binning.count_for_lut(line, mask)
    else:
        counts, memo = binning.count(line, mask), None
    match_plan(counts, binning, dtype, ref).apply_line(line, pair.target, memo)


@dataclass(frozen=True)
class MatchPlan:
    """The mapping of an image's bins onto a reference: a LUT of levels
    (integers) or an :class:`Interp` whose results are clipped to ``clip``
    (floats: ``np.interp`` between two values can pass the upper one by an ulp)."""

    binning: Binning
    mapping: np.ndarray | Interp
    dtype: np.dtype
    clip: tuple[float, float] | None

    def apply_line(self, source: np.ndarray, target: np.ndarray, memo: np.ndarray | None = None) -> None:
        """Map a pixel line (kernel view) into ``target``; ``memo``: the bin codes of ``count_for_lut``."""
        if isinstance(self.mapping, Interp):
            assert not isinstance(self.binning, LevelBins)  # floats have equal bins
            self.binning.apply(self.mapping, source, target, memo)
        else:
            self.binning.apply(self.mapping, source, target, memo)
        if self.clip is not None:  # NaN stays NaN
            values = target.view(self.dtype)
            np.clip(values, self.dtype.type(self.clip[0]), self.dtype.type(self.clip[1]), out=values)


def match_plan(counts: np.ndarray, binning: Binning, dtype: np.dtype, ref: _Reference) -> MatchPlan:
    """The plan of an image's int64 ``counts`` over ``binning`` (images of
    ``dtype``) through the reference's inverse cdf: a LUT of levels for
    integers, an Interp for floats. Touches bins only."""
    _check_counted(counts, "image", "mask")
    if is_integer(dtype):
        if isinstance(ref.binning, LevelBins):  # strictly increasing fractions: np.interp in one call
            mapped = np.empty(counts.size)
            kernels().interp_cdf(counts, ref.counts, ref.values(), mapped)
        else:
            mapped = _inverse(_fractions(counts), *ref.points(), last=False)
        return MatchPlan(binning, ref.levels(mapped, dtype), dtype, None)
    below = np.concatenate(([0.0], _fractions(counts)))
    ref_points = ref.points()
    # An edge that starts an occupied bin takes the largest reference
    # value at its fraction, one that ends it the smallest (they differ
    # where the reference's cdf is flat): no occupied bin is stretched
    # over a gap of the reference.
    starts = np.append(counts > 0, False)
    ends = _inverse(below, *ref_points, last=False)
    mapped = ref.absolute(np.where(starts, _inverse(below, *ref_points, last=True), ends))
    # The reference's range as the image's dtype holds it: clipped into
    # its finite values, rounded to the nearest.
    top = float(np.finfo(dtype).max)
    low, high = (min(max(float(v), -top), top) for v in (ref.low, ref.high))
    assert not isinstance(binning, LevelBins)  # float dtypes have equal bins
    return MatchPlan(binning, Interp.through(binning.edges(), np.clip(mapped, low, high)), dtype, (low, high))


def _float_bins(dtype: np.dtype) -> int:
    # float16 has too few values for narrow bins: the default 256 there.
    return DEFAULT_FLOAT_BINS if dtype == np.float16 else FLOAT_BINS


def _inverse(fractions: np.ndarray, ref_fractions: np.ndarray, ref_values: np.ndarray, last: bool) -> np.ndarray:
    """The reference's inverse cdf at ``fractions`` (``np.interp``). Where the
    reference's cdf is flat (a run of equal fractions), a fraction of the run
    takes the run's first (smallest) value, or its ``last``; fractions between
    runs interpolate from the last value of one run to the first of the next."""
    firsts = np.diff(ref_fractions, prepend=-np.inf) > 0
    keep = firsts | (np.diff(ref_fractions, append=np.inf) > 0)
    # np.interp takes the rightmost of equal fractions: the run's last value.
    through = np.interp(fractions, ref_fractions[keep], ref_values[keep])
    if last:
        return through
    smallest = np.interp(fractions, ref_fractions[firsts], ref_values[firsts])
    return np.where(np.isin(fractions, ref_fractions), smallest, through)


def _round_half_even(offsets: np.ndarray, base: int) -> np.ndarray:
    """Whole float64 offsets: ``base + offset`` rounded to the nearest
    integer, half to even (``np.rint`` of the offsets when ``base`` is even)."""
    if base % 2 == 0:
        return np.rint(offsets)
    floor = np.floor(offsets)
    fraction = offsets - floor
    return floor + ((fraction > 0.5) | ((fraction == 0.5) & (np.fmod(floor, 2) == 0)))


def _float_up(value: int) -> float:
    # The smallest float64 >= value.
    near = float(value)
    return near if int(near) >= value else float(np.nextafter(near, np.inf))


def _float_down(value: int) -> float:
    # The largest float64 <= value.
    near = float(value)
    return near if int(near) <= value else float(np.nextafter(near, -np.inf))


def _nearest_levels(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """float64 values -> the nearest level of integer ``dtype`` (half to
    even), clipped into the dtype; what the fast path's compiled plan rounds
    to for uint8/uint16."""
    return _levels_of_values(np.rint(values), dtype)


def _levels_of_values(whole: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Whole float64 values as levels of integer ``dtype``, clipped into it
    (exactly: the dtype's top need not be a float64)."""
    info = np.iinfo(dtype)
    low, high = _float_up(int(info.min)), _float_down(int(info.max))
    clipped = np.clip(whole, low, high).astype(np.int64 if info.min < 0 else np.uint64)
    clipped[whole > high] = info.max
    return clipped.astype(dtype)


def _clip_levels(levels: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """int64 or uint64 ``levels`` clipped into integer ``dtype`` (bounds in
    the levels' own dtype: no float promotion)."""
    own = np.iinfo(levels.dtype)
    info = np.iinfo(dtype)
    low, high = max(int(info.min), int(own.min)), min(int(info.max), int(own.max))
    kind = levels.dtype.type
    return np.clip(levels, kind(low), kind(high)).astype(dtype)


# --- method "skimage" ---------------------------------------------------------


def _match_skimage(image: np.ndarray, reference: np.ndarray, axis: int | None, ref_axis: int | None) -> np.ndarray:
    # scikit-image writes per-channel results into an array of the image's
    # dtype (truncating integers), then returns floats as float32/64.
    channel_dtype, result_dtype = skimage_dtypes(image.dtype, axis)
    result = np.empty_like(image, dtype=result_dtype)
    references = source_lines(reference, None, ref_axis)
    for pair, (ref_line, _, _) in zip(line_pairs(image, None, result, axis), references):
        _, ref_values, ref_counts = _skimage_counts(_numeric(ref_line, reference.dtype), "reference")
        check_skimage_reference(ref_values, ref_counts, image.dtype)
        _match_skimage_line(pair, image.dtype, ref_counts, ref_values.astype(np.float64), channel_dtype, result_dtype)
        pair.finish()
    return result


def skimage_dtypes(dtype: np.dtype, axis: int | None) -> tuple[np.dtype, np.dtype]:
    """``(channel dtype, result dtype)`` of scikit-image's matching of an
    image of ``dtype``: it writes each channel's result into an array of the
    image's dtype (truncating integers) when there is a channel axis, and
    returns floats as float32/64."""
    channel_dtype = dtype if axis is not None else np.dtype(np.float64)
    return channel_dtype, channel_dtype if is_integer(channel_dtype) else skimage_float_dtype(dtype)


def check_skimage_reference(ref_values: np.ndarray, ref_counts: np.ndarray, dtype: np.dtype) -> None:
    """scikit-image counts the reference of an unsigned image with np.bincount: no negative values."""
    occupied = np.flatnonzero(ref_counts)
    if dtype.kind == "u" and ref_values[occupied[0]] < 0:
        raise ValueError(
            "method='skimage' with an unsigned image needs a reference without "
            "negative values (scikit-image counts it with np.bincount)"
        )


def skimage_table(
    counts: np.ndarray, ref_counts: np.ndarray, ref_values: np.ndarray, channel_dtype: np.dtype, result_dtype: np.dtype
) -> np.ndarray:
    """scikit-image's mapping of an image's level (or distinct value) ``counts``:
    ``np.interp(cumsum(counts) / size, G, r)``, G and r the reference's
    cumulative fractions and float64 values at its occupied bins, cast as
    scikit-image casts."""
    mapped = np.empty(counts.size)
    kernels().interp_cdf(counts, ref_counts, ref_values, mapped)
    return mapped.astype(channel_dtype).astype(result_dtype)


def _numeric(line: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # The pixel values of a kernel line (float16 lines are bit patterns).
    return line.view(np.float16).astype(np.float32) if dtype == np.float16 else line


def _skimage_counts(values: np.ndarray, name: str) -> tuple[LevelBins | None, np.ndarray, np.ndarray]:
    """``(binning, levels, counts)``: for 8/16-bit integers (and narrower
    ranges of wider ones) every level of a :class:`LevelBins` (float64) and
    its count, zeros included; else ``np.unique``'s distinct values (of the
    line's dtype) and counts, and no binning."""
    if is_integer(values.dtype):
        binning = choose_binning([(values, None)], values.dtype, None, None)
        if isinstance(binning, LevelBins):
            return binning, binning.centres(), binning.count(values, None)
    levels, counts = np.unique(values, return_counts=True)
    if levels.dtype.kind == "f" and not (np.isfinite(levels[0]) and np.isfinite(levels[-1])):
        raise ValueError(
            f"{name} contains NaN or infinite values; method='skimage' refuses them "
            "(scikit-image counts NaN as a value), method='histeq' ignores NaN"
        )
    return None, levels, counts


def _match_skimage_line(
    pair: LinePair,
    dtype: np.dtype,
    ref_counts: np.ndarray,
    ref_values: np.ndarray,
    channel_dtype: np.dtype,
    result_dtype: np.dtype,
) -> None:
    # np.interp(cumsum(counts) / size, G, r) per level or distinct value, G
    # and r the reference's cumulative fractions and values (float64) at its
    # occupied bins; cast as scikit-image casts, applied through a LUT or a
    # search of the values.

    values = _numeric(pair.source, dtype)
    binning, levels, counts = _skimage_counts(values, "image")
    table = skimage_table(counts, ref_counts, ref_values, channel_dtype, result_dtype)
    if binning is not None:
        binning.apply(table, values, pair.target)
    else:
        kernels().apply_sorted(values, levels, table, pair.target)
