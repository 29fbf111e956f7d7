"""``histeq.exact_specification``: exact histogram specification (Coltuc,
Bolon and Chassery, IEEE TIP 2006).

Pixels are put in a strict order: by value, ties by the sums (equivalently
the means) of growing neighbourhoods, remaining ties by position. Output
levels are then handed out by rank, so that the output histogram is the
target exactly.
"""

from __future__ import annotations

import bisect
import itertools

import numpy as np

from ._core.batch import batch_mask, check_batch_axis, over_items
from ._core.colour_modes import check_colour_mode, visible
from ._core.colour_modes import run as run_colour_mode
from ._core.layout import channel_planes
from ._core.levels import is_integer
from ._core.targets import (
    check_target,
    default_levels,
    level_counts,
    level_fractions,
    output_levels,
    target_weights,
    unit,
)
from ._core.validate import (
    as_image,
    check_channel_axis,
    check_filters,
    check_mask,
    check_mask_selects,
    unmask,
)
from ._dask import is_dask_array

#: Box sums are kept below this, so that int64 integral images give them exactly.
_SUM_LIMIT = 1 << 62
#: Box sums below this are exact in int32 integral images (half the memory).
_SMALL_SUM_LIMIT = 1 << 30
#: Sort keys are uint64.
_KEY_BITS = 64

Terms = list[tuple[tuple[int, ...], int]]


def exact_specification(
    image: np.ndarray,
    *,
    target: object = None,
    filters: int = 6,
    channel_axis: int | None = None,
    mask: np.ndarray | None = None,
    color: str | None = None,
    channel_order: str = "rgb",
    keep_alpha: bool = False,
    batch_axis: int | tuple[int, ...] | None = None,
    count_transparent: bool = False,
) -> np.ndarray:
    """Give ``image`` exactly the ``target`` histogram, ordering pixels strictly.

    Parameters
    ----------
    image : ndarray, any integer dtype
        1-D, 2-D or 3-D, plus the channel axis if ``channel_axis`` is given.
        Not modified. A ``numpy.ma.MaskedArray`` acts as a ``mask`` of its
        unmasked pixels (combined with ``mask`` by AND): its masked pixels
        keep their values, and the result is a MaskedArray with a copy of
        its mask.
    target : array_like or str or tuple, optional
        The output histogram: 1-D non-negative weights of any length ``L``
        (level ``j`` at ``min + round(j * (max - min) / (L - 1))``), or a
        distribution name as in :func:`histeq.equalize`, sampled at every
        level of 8/16-bit dtypes (65536 levels spread over wider ones).
        Default: flat over those levels. Of ``N`` specified pixels (each
        channel's, or its masked ones), level ``j`` receives
        ``floor(N * W[j] / W[-1]) - floor(N * W[j-1] / W[-1])`` pixels, ``W``
        the cumulative weights (integer arithmetic for whole-number weights):
        weights that are counts summing to ``N`` are met exactly, and a flat
        target gives ``N // L`` or one more pixel per level, the extra pixels
        spread evenly.
    filters : int, 1 .. 16
        How many neighbourhoods order the pixels (default 6, as the paper):
        the pixel, the cross (the pixel and its 2 * ndim face neighbours),
        then boxes of side 3, 5, 7, ... (6: up to 9x9). Neighbourhoods past
        the border are mirrored (``numpy.pad`` mode ``"symmetric"``).
    channel_axis : int, optional
        Specify each channel along this axis on its own, exactly as if it
        were a separate image: every channel gets the whole ``target``.
        Neighbourhoods stay within a channel. Colour is never guessed from
        the shape.
    mask : ndarray of bool, optional
        Only pixels where ``mask`` is True are ordered and given new levels,
        so that their histogram is exactly the target (scaled to their
        number); every other pixel keeps its value. The neighbourhood sums
        that order them are taken over the whole image (each channel), masked
        or not. The image's shape or, with ``channel_axis``, its shape without
        the channel axis (the same mask for every channel).
    batch_axis : int or tuple of int, optional
        Every index along these axes is an image of its own (1-D, 2-D or 3-D
        besides ``channel_axis``), specified as ``exact_specification``
        specifies it alone (bit-identical to a loop over the items); ``mask``
        per item or shared, as for :func:`histeq.equalize`.
    color : {"channels", "ycrcb", "lab", "hsv"}, optional
        As in :func:`histeq.equalize`: in a colour space the luminance plane
        gets exactly the target histogram (it must be an integer plane:
        uint8/uint16 YCrCb and HSV, uint8 and uint16 Lab). ``"joint"`` is
        refused (neighbourhoods are spatial).
    channel_order : {"rgb", "bgr"}
        As in :func:`histeq.equalize`.
    keep_alpha : bool
        As in :func:`histeq.equalize`.
    count_transparent : bool
        As in :func:`histeq.equalize`: by default only pixels whose alpha is
        above 0 are ordered and given new levels (as with ``mask``, the
        others keep their values); True: every pixel.

    Returns
    -------
    ndarray
        Same shape and dtype as ``image``, C-ordered; the histogram of each
        channel (of its masked pixels) over the target levels is exactly the
        target counts. Monotone: a higher input value never gets a lower
        output.

    Raises
    ------
    TypeError, ValueError
        For float, bool or other non-integer images, 0-d or empty images,
        more than 3 dimensions besides the channel axis, bad ``target``,
        ``filters``, ``channel_axis`` or ``mask`` (wrong dtype or shape, or
        selecting no pixel of a channel).

    Notes
    -----
    The order is lexicographic on (value, neighbourhood sums..., flat C
    index). Sums of same-sized neighbourhoods order as their means. Each
    sum is replaced by its difference to the previous one (the cross's face
    neighbours, the 3x3 corners, then rings), which orders identically, and
    the value offset and as many differences as their worst-case ranges
    allow are packed into one uint64 key, sorted with one ``np.argsort``.
    The remaining differences and the position break only the ties that
    straddle a boundary between output levels (all others do not change the
    output), in a ``np.lexsort`` of those pixels. Sums come from an
    integral image, wrapping modulo its width: int32 while every
    neighbourhood sum stays below 2**30 (8-bit images; 16-bit ones but 3-D
    with 15 or 16 filters; narrow ranges of wider ones), else int64 (exact for sums below 2**62; for images
    spanning more than about 2**55 levels the neighbourhood values are
    shifted right to stay below). Channels are specified one at a time.
    Memory, per channel: its uint64 key, its integral image and one sum (or
    the argsort's indices; with a mask, the whole channel's key and the
    masked pixels' key): 2.5 int64 arrays of the channel's size with an
    int32 integral image, 3 with an int64 one; plus the output.
    """
    if is_dask_array(image):
        raise TypeError(
            "exact_specification does not take Dask arrays: it ranks every pixel of the image in one global "
            "order (a sort of all pixels and their neighbourhoods), which blocks cannot do apart; compute the "
            "array first (image.compute()), or use equalize(image, target=...) for a blockwise specification"
        )
    data, masked = unmask(image)
    image = as_image(data)
    if not is_integer(image.dtype):
        raise TypeError(f"exact_specification needs an integer image; got dtype {image.dtype}")
    axis = check_channel_axis(channel_axis, image.ndim)
    batch = check_batch_axis(batch_axis, image.shape, axis)
    spatial = image.ndim - (axis is not None) - (0 if batch is None else len(batch.axes))
    if spatial > 3:
        extra = ("" if axis is None else " besides channel_axis") + ("" if batch is None else " and batch_axis")
        raise ValueError(f"image must be 1-D, 2-D or 3-D{extra}; got {spatial} dimensions{extra}")
    filters = check_filters(filters)
    target_argument, target = target, check_target(target)
    mask = check_mask(mask, image.shape, axis) if batch is None else batch_mask(mask, image.shape, batch, axis)
    if masked is not None:
        mask = masked.counted(mask)
    colour = check_colour_mode(color, channel_order, keep_alpha, axis, image.shape, count_transparent)
    if batch is not None:
        item_axis = batch.item_axis(axis)

        def item(source: np.ndarray, item_mask: np.ndarray | None, target: np.ndarray | None, _: object) -> np.ndarray:
            return exact_specification(
                source,
                target=target_argument,
                filters=filters,
                channel_axis=item_axis,
                mask=item_mask,
                color=color,
                channel_order=channel_order,
                keep_alpha=keep_alpha,
                count_transparent=count_transparent,
            )

        return over_items(image, masked, batch, mask, None, item, order="C")
    if colour is not None:
        if colour.mode == "joint":
            raise ValueError(
                "color='joint' is not available for exact_specification: its neighbourhoods are spatial; "
                "use a colour space ('ycrcb', 'lab', 'hsv') or 'channels'"
            )
        mask = visible(image, colour.axis, colour, mask)
        result = run_colour_mode(
            image,
            colour,
            mask,
            None,
            lambda plane, plane_mask: exact_specification(
                plane, target=target_argument, filters=filters, mask=plane_mask
            ),
            lambda colours, colour_mask: exact_specification(
                colours, target=target_argument, filters=filters, mask=colour_mask, channel_axis=-1
            ),
        )
        if mask is not None and colour.luminance:  # the round trip rewrote every pixel: restore unselected ones
            unselected = ~np.moveaxis(mask, colour.axis, -1)[..., 0]
            np.moveaxis(result, colour.axis, -1)[unselected] = np.moveaxis(image, colour.axis, -1)[unselected]
        return result if masked is None else masked.wrap(result, image)
    if mask is not None:
        check_mask_selects(mask, axis)
    weights = target_weights(("uniform", ()) if target is None else target, default_levels(image.dtype))
    levels = output_levels(level_fractions(weights.size) * unit(image.dtype), image.dtype)
    masks = itertools.repeat(None) if mask is None else channel_planes(mask, axis)
    result = np.empty(image.shape, image.dtype) if mask is None else image.copy(order="C")
    for plane, plane_mask, out in zip(channel_planes(image, axis), masks, channel_planes(result, axis)):
        _specify(plane, plane_mask, weights, levels, filters, out)
    return result if masked is None else masked.wrap(result, image)


def _specify(
    plane: np.ndarray,
    mask: np.ndarray | None,
    weights: np.ndarray,
    levels: np.ndarray,
    filters: int,
    out: np.ndarray,
) -> None:
    # One channel: its (masked) pixels in the strict order get the levels by rank.
    counts = level_counts(weights, plane.size if mask is None else int(np.count_nonzero(mask)))
    order = strict_order(plane, filters, np.cumsum(counts)[:-1], mask)
    ranked = np.empty(order.size, plane.dtype)
    ranked[order] = np.repeat(levels, counts)
    if mask is None:
        out[...] = ranked.reshape(plane.shape)
    else:
        out[mask] = ranked


def strict_order(image: np.ndarray, filters: int, boundaries: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """The pixels of ``image`` (those where ``mask``, in C order) in the
    strict order: their indices among them, exact wherever a rank in
    ``boundaries`` (ranks where the output level changes) separates pixels."""
    low = int(image.min())
    key = image.astype(np.uint64, order="C").reshape(-1)
    key -= np.uint64(low % 2**64)  # value - low, exact modulo 2**64
    span = int(key.max())
    radius = 0 if filters == 1 else max(filters - 2, 1)
    largest = span * (2 * radius + 1) ** image.ndim  # the largest box sum
    shift = max(largest.bit_length() - _SUM_LIMIT.bit_length() + 1, 0)
    integral = _integral(image, radius, low, shift, np.int32 if largest < _SMALL_SUM_LIMIT else np.int64)
    used, packed = max(span.bit_length(), 1), 1
    for index in range(1, filters):
        bits = (_ring_size(index, image.ndim) * (span >> shift)).bit_length()
        if used + bits > _KEY_BITS:
            break
        residue = _residue(integral, _terms(index, image.ndim), radius, image.shape)
        key <<= np.uint64(bits)
        np.bitwise_or(key, residue.reshape(-1), out=key, dtype=np.uint64, casting="unsafe")  # residue >= 0
        used, packed = used + bits, index + 1
        del residue
    if mask is not None:
        key = key[mask.reshape(-1)]
    order = np.argsort(key)
    runs = _straddling_ties(key, order, boundaries)
    del key
    positions = None if mask is None or not runs else np.flatnonzero(mask)
    rest = [_terms(index, image.ndim) for index in range(packed, filters)]
    for start, stop in runs:
        members = order[start:stop]
        coords = np.unravel_index(members if positions is None else positions[members], image.shape)
        later = [_residue(integral, terms, radius, image.shape, coords) for terms in rest]
        order[start:stop] = members[np.lexsort([members, *reversed(later)])]
    return order


def _integral(image: np.ndarray, radius: int, low: int, shift: int, dtype: type) -> np.ndarray:
    # Sums of (value - low) >> shift over the mirrored image's boxes [0, i)
    # per axis (int32 or int64 ``dtype``): one leading zero per axis,
    # wrapping modulo 2**bits, which box sums below 2**(bits - 2) survive.
    padded = np.pad(image, radius, mode="symmetric")
    integral = np.zeros(tuple(n + 1 for n in padded.shape), dtype)
    inner = integral[(slice(1, None),) * image.ndim]
    inner[...] = padded  # modulo 2**bits
    half = 1 << (8 * integral.itemsize - 1)
    inner -= dtype((low + half) % (2 * half) - half)  # value - low, modulo 2**bits
    if shift:  # int64 only
        inner.view(np.uint64)[...] >>= np.uint64(shift)
    for axis in range(image.ndim):
        np.cumsum(inner, axis=axis, out=inner)
    return integral


def _ring_size(index: int, ndim: int) -> int:
    # Pixels in the difference of neighbourhood ``index`` and the previous one.
    if index == 1:
        return 2 * ndim
    if index == 2:
        return 3**ndim - 1 - 2 * ndim
    return (2 * index - 1) ** ndim - (2 * index - 3) ** ndim


def _terms(index: int, ndim: int) -> Terms:
    # Neighbourhood ``index`` minus the previous one, as (box radii, coefficient)
    # terms: 1: the face neighbours; 2: the 3x3 box minus the cross; then rings.
    point = ((0,) * ndim, 1)
    faces = [(tuple(int(a == b) for b in range(ndim)), 1) for a in range(ndim)]
    if index == 1:
        return faces + [(point[0], -ndim)]
    if index == 2:
        return [((1,) * ndim, 1), *[(radii, -1) for radii, _ in faces], (point[0], ndim - 1)]
    return [((index - 1,) * ndim, 1), ((index - 2,) * ndim, -1)]


def _residue(
    integral: np.ndarray, terms: Terms, radius: int, shape: tuple[int, ...], coords: tuple | None = None
) -> np.ndarray:
    """``sum(coefficient * box sum)`` in the integral image's dtype at every
    pixel (``coords=None``, shape ``shape``) or at the pixels ``coords``,
    without full-size temporaries."""
    total = np.zeros(shape if coords is None else coords[0].shape, integral.dtype)
    for radii, coefficient in terms:
        for corner in itertools.product((1, 0), repeat=len(shape)):
            sign = -1 if (len(shape) - sum(corner)) % 2 else 1
            offsets = [radius + r + 1 if high else radius - r for high, r in zip(corner, radii)]
            term = _corner(integral, offsets, shape, coords)
            for _ in range(abs(coefficient)):
                (np.add if sign * coefficient > 0 else np.subtract)(total, term, out=total)
    return total


def _corner(integral: np.ndarray, offsets: list[int], shape: tuple[int, ...], coords: tuple | None) -> np.ndarray:
    # The integral image at every pixel shifted by ``offsets`` (a view), or at ``coords``.
    if coords is None:
        return integral[tuple(slice(o, o + n) for o, n in zip(offsets, shape))]
    return integral[tuple(c + o for c, o in zip(coords, offsets))]


def _straddling_ties(key: np.ndarray, order: np.ndarray, boundaries: np.ndarray) -> list[tuple[int, int]]:
    """Rank ranges ``[start, stop)`` of equal keys that a boundary rank cuts."""
    size = order.size
    runs: list[tuple[int, int]] = []
    for rank in np.unique(boundaries[(boundaries > 0) & (boundaries < size)]).tolist():
        value = int(key[order[rank]])
        if int(key[order[rank - 1]]) != value or (runs and runs[-1][1] > rank):
            continue
        start = bisect.bisect_left(range(size), value, 0, rank, key=lambda i: int(key[order[i]]))
        stop = bisect.bisect_right(range(size), value, rank, size, key=lambda i: int(key[order[i]]))
        runs.append((start, stop))
    return runs
