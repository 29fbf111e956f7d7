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

from ._dtypes import is_integer
from ._targets import (
    default_levels,
    level_counts,
    level_fractions,
    output_levels,
    target_weights,
    unit,
)
from ._validate import as_image, check_filters, check_target

#: Box sums are kept below this, so that int64 integral images give them exactly.
_SUM_LIMIT = 1 << 62
#: Sort keys are uint64.
_KEY_BITS = 64

Terms = list[tuple[tuple[int, ...], int]]


def exact_specification(image: np.ndarray, *, target: object = None, filters: int = 6) -> np.ndarray:
    """Give ``image`` exactly the ``target`` histogram, ordering pixels strictly.

    Parameters
    ----------
    image : ndarray, 1-D, 2-D or 3-D, any integer dtype
        Not modified.
    target : array_like or str or tuple, optional
        The output histogram: 1-D non-negative weights of any length ``L``
        (level ``j`` at ``min + round(j * (max - min) / (L - 1))``), or a
        distribution name as in :func:`histeq.equalize`, sampled at every
        level of 8/16-bit dtypes (65536 levels spread over wider ones).
        Default: flat over those levels. Level ``j`` receives
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

    Returns
    -------
    ndarray
        Same shape and dtype as ``image``, C-ordered; its histogram over the
        target levels is exactly the target counts. Monotone: a higher input
        value never gets a lower output.

    Raises
    ------
    TypeError, ValueError
        For float, bool or other non-integer images, 0-d, empty or more than
        3-D images, bad ``target`` or ``filters``.

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
    output), in a ``np.lexsort`` of those pixels. Sums come from an int64
    integral image (modular arithmetic is exact for sums below 2**62; for
    images spanning more than about 2**55 levels the neighbourhood values are
    shifted right to stay below). Memory: the key, the integral image and
    one sum (or the argsort's indices): 3 int64 arrays of the image's size.
    """
    image = as_image(image)
    if not is_integer(image.dtype):
        raise TypeError(f"exact_specification needs an integer image; got dtype {image.dtype}")
    if image.ndim > 3:
        raise ValueError(f"image must be 1-D, 2-D or 3-D; got {image.ndim}-d")
    filters = check_filters(filters)
    target = check_target(target)
    weights = target_weights(("uniform", ()) if target is None else target, default_levels(image.dtype))
    counts = level_counts(weights, image.size)
    order = strict_order(image, filters, np.cumsum(counts)[:-1])
    levels = output_levels(level_fractions(counts.size) * unit(image.dtype), image.dtype)
    result = np.empty(image.shape, image.dtype)
    result.reshape(-1)[order] = np.repeat(levels, counts)
    return result


def strict_order(image: np.ndarray, filters: int, boundaries: np.ndarray) -> np.ndarray:
    """Flat C indices of ``image`` in the strict order, exact wherever a rank
    in ``boundaries`` (ranks where the output level changes) separates pixels."""
    low = int(image.min())
    key = image.astype(np.uint64, order="C").reshape(-1)
    key -= np.uint64(low % 2**64)  # value - low, exact modulo 2**64
    span = int(key.max())
    radius = 0 if filters == 1 else max(filters - 2, 1)
    shift = max((span * (2 * radius + 1) ** image.ndim).bit_length() - _SUM_LIMIT.bit_length() + 1, 0)
    integral = _integral(image, radius, low, shift)
    used, packed = max(span.bit_length(), 1), 1
    for index in range(1, filters):
        bits = (_ring_size(index, image.ndim) * (span >> shift)).bit_length()
        if used + bits > _KEY_BITS:
            break
        residue = _residue(integral, _terms(index, image.ndim), radius, image.shape)
        key <<= np.uint64(bits)
        key |= residue.reshape(-1).view(np.uint64)
        used, packed = used + bits, index + 1
        del residue
    order = np.argsort(key)
    rest = [_terms(index, image.ndim) for index in range(packed, filters)]
    for start, stop in _straddling_ties(key, order, boundaries):
        members = order[start:stop]
        coords = np.unravel_index(members, image.shape)
        later = [_residue(integral, terms, radius, image.shape, coords) for terms in rest]
        order[start:stop] = members[np.lexsort([members, *reversed(later)])]
    return order


def _integral(image: np.ndarray, radius: int, low: int, shift: int) -> np.ndarray:
    # int64 sums of (value - low) >> shift over the mirrored image's boxes
    # [0, i) per axis: one leading zero per axis, wrapping modulo 2**64.
    padded = np.pad(image, radius, mode="symmetric")
    integral = np.zeros(tuple(n + 1 for n in padded.shape), np.int64)
    inner = integral[(slice(1, None),) * image.ndim]
    inner[...] = padded
    inner -= np.int64((low + 2**63) % 2**64 - 2**63)  # value - low, modulo 2**64
    if shift:
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
    """int64 ``sum(coefficient * box sum)`` at every pixel (``coords=None``,
    shape ``shape``) or at the pixels ``coords``, without full-size temporaries."""
    total = np.zeros(shape if coords is None else coords[0].shape, np.int64)
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
