"""``histeq.histogram``: integer counts and bin edges of an image."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._core.binning import choose_binning
from ._core.layout import source_lines
from ._core.validate import (
    as_image,
    check_channel_axis,
    check_mask,
    check_nbins,
    check_value_range,
    unmask,
)


class Histogram(NamedTuple):
    """Counts and bin edges, unpackable as ``counts, edges = histogram(...)``."""

    #: int64, shape ``(nbins,)``, or ``(channels, nbins)`` with ``channel_axis``.
    counts: np.ndarray
    #: shape ``(nbins + 1,)``; bin ``k`` holds values in ``[edges[k], edges[k+1])``,
    #: the last bin also its right edge.
    edges: np.ndarray


def histogram(
    image: np.ndarray,
    *,
    nbins: int | None = None,
    mask: np.ndarray | None = None,
    value_range: tuple[float, float] | None = None,
    channel_axis: int | None = None,
) -> Histogram:
    """Count the pixels of an image per bin.

    Parameters
    ----------
    image : ndarray, any shape, integer or float dtype
        The image. Not modified. A ``numpy.ma.MaskedArray`` counts only its
        unmasked pixels (and of those, only where ``mask`` is True).
    nbins : int, optional
        Number of equal-width bins. ``None`` (default): one bin per integer
        level for 8- and 16-bit integers (the dtype's whole range) and for wider
        integers whose occupied range spans at most 65536 levels (wider ranges
        get 65536 equal bins); 256 bins for floats. A given ``nbins`` bins the
        values exactly as ``np.histogram(values, bins=nbins, range=...)``.
    mask : ndarray of bool, optional
        Only pixels where ``mask`` is True are counted. Same shape as ``image``
        or, with ``channel_axis``, as ``image`` without the channel axis.
    value_range : (low, high), optional
        The range the bins span (two real numbers: integers for integer
        images); values outside it are not counted. Default:
        the dtype's range (8/16-bit integers) or the occupied range of the
        counted pixels (finite values only).
    channel_axis : int, optional
        Count each channel along this axis separately, with one set of edges
        for all channels.

    Returns
    -------
    Histogram
        ``counts`` (int64, shape ``(nbins,)`` or ``(channels, nbins)``) and
        ``edges`` (float64 for integer images; for float images numpy's bin
        dtype, which is the image's float dtype). Integer levels beyond
        +-2**53 have no float64 of their own: there the edges are rounded
        (the counts are exact; to plan from them, pass the image's integer
        min and max as ``value_range``), and the default equal bins of a
        range wider than 65536 levels are those of the exact offsets from its
        minimum (``np.histogram`` cannot make them).

    Raises
    ------
    TypeError, ValueError
        For unsupported dtypes, empty or 0-d images, bad ``nbins``, ``mask``,
        ``value_range`` or ``channel_axis``, and images containing +-inf.

    Notes
    -----
    NaN is never counted. Counts are int64, exact for images of any size.
    Extra memory: the histograms (one per thread); planes that are not one
    evenly strided line are copied, one channel at a time. float16 images are
    binned with numpy's float16 arithmetic, as ``np.histogram`` does.
    """
    data, masked = unmask(image)
    image = as_image(data)
    nbins = check_nbins(nbins)
    axis = check_channel_axis(channel_axis, image.ndim)
    mask = check_mask(mask, image.shape, axis)
    if masked is not None:
        mask = masked.counted(mask)
    value_range = check_value_range(value_range, image.dtype)
    lines = [(x, m) for x, m, _ in source_lines(image, mask, axis)]
    binning = choose_binning(lines, image.dtype, nbins, value_range)
    counts = np.stack([binning.count(x, m) for x, m in lines])
    return Histogram(counts if axis is not None else counts[0], binning.edges())
