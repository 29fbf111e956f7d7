"""Equal-width bins in numpy, bit for bit as :func:`histeq.backends.cpu.count_equal`
and :func:`histeq.backends.cpu.apply_equal` (same arguments), which are
``np.histogram``'s bins: each value converted to numpy's bin dtype (``+
zero``), the estimate ``int((v - first) / denom * nbins)`` (the last edge in
the last bin) and one correction step against the edges. The kernels' lookup
grid (``offset``, ``scale``, ``cells``) only skips that arithmetic where its
result is certain, so it is not needed here.
"""

from __future__ import annotations

import numpy as np

from . import BLOCK, timed

__all__ = ["apply_equal", "count_equal"]


def _bins(values: np.ndarray, first, denom, nbins_f, edges: np.ndarray) -> np.ndarray:
    # np.histogram's bin of values in [first, last] (in the bin dtype), as intp.
    nbins = edges.size - 1
    bins = np.minimum((((values - first) / denom) * nbins_f).astype(np.intp), nbins - 1)
    below = values < edges[bins]
    above = ~below & (bins != nbins - 1) & (values >= edges[bins + 1])
    return bins - below + above


@timed
def count_equal(x, mask, zero, first, last, denom, nbins_f, edges, offset, scale, cells, codes=None) -> np.ndarray:
    """Histogram over equal bins, bit-identical to ``np.histogram``: NaN and
    values outside ``[first, last]`` are not counted, nor pixels where
    ``mask`` is False. ``codes`` (uint16 like ``x``, optional) receives each
    pixel's bin, clamped to the range, or ``nbins`` for NaN. Returns int64
    counts of length ``edges.size - 1``."""
    nbins = edges.size - 1
    counts = np.zeros(nbins, np.int64)
    for start in range(0, x.size, BLOCK):
        values = x[start : start + BLOCK] + zero
        inside = (first <= values) & (values <= last)
        bins = np.where(values < first, 0, np.where(values > last, nbins - 1, nbins))  # outside, NaN
        bins[inside] = _bins(values[inside], first, denom, nbins_f, edges)
        if codes is not None:
            codes[start : start + BLOCK] = bins
        counted = inside if mask is None else inside & mask[start : start + BLOCK]
        counts += np.bincount(bins[counted], minlength=nbins)
    return counts


@timed
def apply_equal(x, zero, first, last, denom, nbins_f, edges, offset, scale, cells, lut, out) -> None:
    """``out[i] = lut[bin(x[i])]`` with :func:`count_equal`'s bins; values below
    or above the range take the first or last entry, NaN stays NaN."""
    nbins = lut.size
    for start in range(0, x.size, BLOCK):
        line = x[start : start + BLOCK]
        values = line + zero
        bins = np.where(values <= first, 0, nbins - 1)
        inside = (first < values) & (values < last)
        bins[inside] = _bins(values[inside], first, denom, nbins_f, edges)
        target = out[start : start + BLOCK]
        target[...] = lut[bins]
        nan = np.isnan(values)
        if nan.any():
            target[nan] = line[nan]
