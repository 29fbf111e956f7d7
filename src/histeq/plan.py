"""``histeq.plan_equalization``: the plan as a value, from counts alone.

count -> plan -> apply, each step usable on its own: counts summed over the
blocks of an array too large for memory, or smoothed over the frames of a
video, feed the very plan code that :func:`histeq.equalize` runs, and the
returned :class:`Plan` maps any pixels of that dtype.
"""

from __future__ import annotations

import numpy as np

from ._core.binning import binning_for
from ._core.methods import equalize_method
from ._core.plan import Plan, build_plan
from ._core.targets import check_target, default_levels, target_weights
from ._core.validate import check_nbins, check_value_range

__all__ = ["Plan", "plan_equalization"]


def plan_equalization(
    counts: np.ndarray,
    *,
    dtype: np.dtype | type | str,
    method: str = "opencv",
    nbins: int | None = None,
    value_range: tuple[float, float] | None = None,
    target: object = None,
) -> Plan:
    """Build the equalization plan of ``counts``: the mapping of every bin.

    ``histeq.plan_equalization(histeq.histogram(image).counts, dtype=image.dtype).apply(image)``
    equals ``histeq.equalize(image)`` bit for bit, for every method; so does a
    plan from the counts of an image's blocks added up.

    Parameters
    ----------
    counts : 1-D array of non-negative integers
        Pixels per bin, as :func:`histeq.histogram` returns them (summed over
        blocks, frames, ... as you like).
    dtype : numpy dtype
        The dtype of the images counted (and mapped by the plan); either
        byte order (the plan maps both).
    method, target
        As in :func:`histeq.equalize`.
    nbins, value_range
        The ``nbins`` and ``value_range`` the counts were made with. 8- and
        16-bit integers counted one bin per level need neither; every other
        binning needs ``value_range`` (for a histogram counted without one,
        its first and last edge: ``(edges[0], edges[-1])``).

    Returns
    -------
    Plan
        ``plan.apply(image)`` maps images of ``dtype``; ``plan.lut`` is the
        output value of every bin (None when pixels keep their values or, for
        ``"skimage"`` on floats, values are interpolated).

    Raises
    ------
    TypeError, ValueError
        For counts that are not 1-D non-negative integers or do not match the
        binning's number of bins, a missing ``value_range``, and what
        :func:`histeq.equalize` refuses.
    """
    try:
        image_dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a numpy dtype; got {dtype!r}") from None
    if image_dtype.kind not in "iuf":
        raise TypeError(f"dtype must be an integer or float dtype; got {image_dtype}")
    image_dtype = image_dtype.newbyteorder("=")  # images are mapped in native byte order
    target = check_target(target)
    record = equalize_method(method, image_dtype, target=target is not None)
    nbins = check_nbins(nbins)
    value_range = check_value_range(value_range, image_dtype)
    if record.maps_values and image_dtype.kind in "iu":
        nbins = None  # scikit-image counts integers one bin per level
    binning = binning_for(image_dtype, nbins, value_range)
    counts = _check_counts(counts, binning.nbins)
    weights = None if target is None else target_weights(target, default_levels(record.output_dtype(image_dtype)))
    return build_plan(record, counts, binning, image_dtype, weights)


def _check_counts(counts: object, nbins: int) -> np.ndarray:
    array = np.asarray(counts)
    if array.dtype.kind not in "iu":
        raise TypeError(f"counts must be integers; got dtype {array.dtype}")
    if array.shape != (nbins,):
        raise ValueError(f"counts must have shape ({nbins},), one count per bin; got {array.shape}")
    if array.dtype.kind == "i" and array.min() < 0:
        raise ValueError("counts must be non-negative")
    return array.astype(np.int64)
