"""``histeq.histogram``: integer counts and bin edges of an image."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._core.batch import Batch, batch_mask, check_batch_axis
from ._core.binning import LevelBins, binning_for, choose_binning
from ._core.item_tables import count_table, item_lines, pixel_order
from ._core.layout import source_lines
from ._core.levels import is_integer, is_small_integer
from ._core.validate import (
    as_image,
    check_channel_axis,
    check_mask,
    check_nbins,
    check_value_range,
    unmask,
)
from ._dask import is_dask_array


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
    batch_axis: int | tuple[int, ...] | None = None,
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
    batch_axis : int or tuple of int, optional
        Every index along these axes is an image of its own, counted as
        ``histogram`` counts it alone (its own bins where they depend on its
        values). ``mask`` then has the image's shape (a mask per item) or
        that shape without the batch axes (shared by every item), either
        also without the channel axis.

    Returns
    -------
    Histogram
        ``counts`` (int64, shape ``(nbins,)`` or ``(channels, nbins)``) and
        ``edges`` (float64 for integer images; for float images numpy's bin
        dtype, which is the image's float dtype). With ``batch_axis``, both
        have the batch shape in front: ``counts`` of shape ``batch_shape +
        (channels, nbins)`` (without ``channels`` when there is no channel
        axis) and ``edges`` of shape ``batch_shape + (nbins + 1,)`` (a
        read-only broadcast view when the dtype or ``value_range`` fixes the
        bins of every item). Items whose bins would differ in number (wide
        integers without ``nbins``) raise ValueError. Integer levels beyond
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
    if is_dask_array(image):  # numpy counts of the blocks' reductions (histeq._dask)
        from ._dask.equalize import histogram_dask

        return histogram_dask(
            image, nbins=nbins, mask=mask, value_range=value_range, channel_axis=channel_axis, batch_axis=batch_axis
        )
    data, masked = unmask(image)
    image = as_image(data)
    nbins = check_nbins(nbins)
    axis = check_channel_axis(channel_axis, image.ndim)
    batch = check_batch_axis(batch_axis, image.shape, axis)
    mask = check_mask(mask, image.shape, axis) if batch is None else batch_mask(mask, image.shape, batch, axis)
    if masked is not None:
        mask = masked.counted(mask)
    value_range = check_value_range(value_range, image.dtype)
    if batch is not None:
        return _batch_histogram(image, mask, batch, axis, nbins, value_range)
    lines = [(x, m) for x, m, _ in source_lines(image, mask, axis)]
    binning = choose_binning(lines, image.dtype, nbins, value_range)
    counts = np.stack([binning.count(x, m) for x, m in lines])
    return Histogram(counts if axis is not None else counts[0], binning.edges())


def _batch_histogram(
    image: np.ndarray,
    mask: np.ndarray | None,
    batch: Batch,
    axis: int | None,
    nbins: int | None,
    value_range: tuple[float, float] | None,
) -> Histogram:
    # Bins fixed by the dtype or by value_range: one table of every item's
    # counts; else item by item, each with its own bins.
    fixed = None
    if is_integer(image.dtype) and nbins is None and (value_range is not None or is_small_integer(image.dtype)):
        fixed = binning_for(image.dtype, None, value_range)
    if isinstance(fixed, LevelBins):
        order = pixel_order(image, batch, axis)
        lines = item_lines(image, batch, axis, order)
        masks = None if mask is None else item_lines(mask, batch, axis, order)
        if lines is not None and (mask is None or masks is not None):
            table = count_table(lines, masks, fixed)
            counts = table.reshape(batch.shape + table.shape[1:])
            edges = np.broadcast_to(fixed.edges(), batch.shape + (fixed.nbins + 1,))
            return Histogram(counts if axis is not None else counts[..., 0, :], edges)
    items, masks_front = batch.front(image), None if mask is None else batch.front(mask)
    results = [
        histogram(
            items[index],
            nbins=nbins,
            mask=None if masks_front is None else masks_front[index],
            value_range=value_range,
            channel_axis=batch.item_axis(axis),
        )
        for index in batch.indices()
    ]
    sizes = {result.counts.shape[-1] for result in results}
    if len(sizes) > 1:
        raise ValueError(
            f"the items have different numbers of bins ({min(sizes)} to {max(sizes)}): their {image.dtype} "
            "values span different ranges; pass nbins or value_range to give every item the same bins"
        )
    counts = np.stack([result.counts for result in results]).reshape(batch.shape + results[0].counts.shape)
    edges = np.stack([result.edges for result in results]).reshape(batch.shape + results[0].edges.shape)
    return Histogram(counts, edges)
