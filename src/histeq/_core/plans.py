"""Plans: from histogram counts to the mapping of every bin, one function per
equalization method (their records are in :mod:`.methods`). Every plan takes
``(counts, binning, out_dtype, target)``; only ``matlab`` uses ``target``.

Plans touch bins, never pixels, and are plain numpy shared by every backend,
except the 8-bit OpenCV plan, which runs on every uint8 call and is one small
compiled function (``backends.cpu.plans.opencv_byte_offsets``).
Each returns a LUT (one output value per bin, in the output dtype), an
:class:`Interp` (scikit-image's piecewise-linear mapping of float values), or
``None`` when the image is returned unchanged. The formulas are those of
``shared/ALGORITHMS.md`` and are verified against the real libraries in tests.
"""

from __future__ import annotations

import numpy as np

from ..backends import kernels
from .binning import Binning, Interp, LevelBins, Mapping
from .levels import is_integer, levels_from_offsets, span
from .targets import output_levels, unit

#: MATLAB's default target: 64 equally populated levels.
MATLAB_TARGET = np.ones(64)


def matlab(counts: np.ndarray, binning: Binning, out_dtype: np.dtype, target: np.ndarray | None) -> np.ndarray | None:
    """MATLAB's ``histeq``: :func:`specify` to ``target`` (float64 weights per
    output level), by default :data:`MATLAB_TARGET`."""
    return specify(counts, MATLAB_TARGET if target is None else target, out_dtype)


def specify(counts: np.ndarray, weights: np.ndarray, out_dtype: np.dtype) -> np.ndarray | None:
    """MATLAB's ``histeq(I, hgram)`` transform: bin ``k`` maps to the smallest
    level ``j`` with ``T[j] >= cdf[k] - tol[k] - N * sqrt(eps)``, where ``T`` is
    the cumulative target scaled to ``N`` counted pixels and ``tol[k] = h[k] / 2``
    (0 for the first and the last bin). Level ``j`` of ``L`` is the output
    position ``j / (L - 1)`` of the range. ``None`` when nothing is counted."""
    total = int(counts.sum())
    if total == 0:
        return None
    cdf = np.cumsum(counts).astype(np.float64)
    tolerance = counts / 2.0
    tolerance[[0, -1]] = 0.0
    reached = np.cumsum(weights * total / weights.sum())
    level = np.searchsorted(reached, cdf - tolerance - total * np.sqrt(np.finfo(np.float64).eps))
    level = np.minimum(level, weights.size - 1)
    return output_levels(level * (unit(out_dtype) / max(weights.size - 1, 1)), out_dtype)


def opencv(
    counts: np.ndarray, binning: Binning, out_dtype: np.dtype, target: np.ndarray | None = None
) -> np.ndarray | None:
    # lut = round_half_even((cdf - h[v0]) * top / (N - h[v0])), v0 the lowest
    # occupied bin; in float32 for 8-bit output (as cv2.equalizeHist), float64
    # for wider output so that every level is reachable.
    if is_integer(out_dtype) and out_dtype.itemsize == 1:
        return _opencv_bytes(counts, out_dtype)
    occupied = np.flatnonzero(counts)
    if occupied.size == 0:
        return None
    total = int(counts.sum())
    first = int(counts[occupied[0]])
    if first == total:
        return None
    shifted = np.cumsum(counts) - first
    if not is_integer(out_dtype):
        return np.clip(shifted / (total - first), 0.0, 1.0).astype(out_dtype)
    offsets = np.rint(shifted * (span(out_dtype) / (total - first)))
    return levels_from_offsets(offsets, out_dtype)


def _opencv_bytes(counts: np.ndarray, out_dtype: np.dtype) -> np.ndarray | None:
    # The 8-bit case of _opencv, compiled (float32 arithmetic, as OpenCV).
    offsets = kernels().opencv_byte_offsets(counts)
    if offsets is None or out_dtype == np.uint8:
        return offsets
    return levels_from_offsets(offsets, out_dtype)


def textbook(
    counts: np.ndarray, binning: Binning, out_dtype: np.dtype, target: np.ndarray | None = None
) -> np.ndarray | None:
    # s_k = (L - 1) * cdf[k] / N (Gonzalez & Woods), rounded half to even.
    total = int(counts.sum())
    if total == 0:
        return None
    cdf = np.cumsum(counts)
    if not is_integer(out_dtype):
        return (cdf / total).astype(out_dtype)
    return levels_from_offsets(np.rint(cdf * float(span(out_dtype)) / total), out_dtype)


def pillow(
    counts: np.ndarray, binning: Binning, out_dtype: np.dtype, target: np.ndarray | None = None
) -> np.ndarray | None:
    # PIL.ImageOps.equalize: step = (N - h[top]) // 255 and
    # lut[v] = (step // 2 + sum_{j<v} h[j]) // step, in integers.
    occupied = np.flatnonzero(counts)
    if occupied.size <= 1:
        return None
    step = (int(counts.sum()) - int(counts[occupied[-1]])) // 255
    if step == 0:
        return None
    before = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return np.minimum((step // 2 + before) // step, 255).astype(out_dtype)


def skimage(
    counts: np.ndarray, binning: Binning, out_dtype: np.dtype, target: np.ndarray | None = None
) -> Mapping | None:
    # skimage.exposure.equalize_hist: cdf = cumsum(h) / N in float64, cast to
    # the output float type, then np.interp(value, bin_centres, cdf).
    occupied = np.flatnonzero(counts)
    if occupied.size == 0:
        raise ValueError(
            "method='skimage' needs at least one counted pixel (as scikit-image): "
            "the mask selects none, or every selected value is NaN"
        )
    if isinstance(binning, LevelBins):
        # Integers: bins are the occupied levels min..max, centres the levels,
        # so every pixel maps to a cdf value exactly; levels outside (only
        # unmasked pixels) take the end values, as np.interp clamps.
        # Levels are taken relative to the lowest bin (float64 does not hold
        # int64 levels near 2**63): the same points, so the same values.
        lo, hi = occupied[0], occupied[-1]
        cdf = np.cumsum(counts[lo : hi + 1])
        cdf = (cdf / float(cdf[-1])).astype(out_dtype)
        centres = np.arange(counts.size, dtype=np.float64)
        return np.interp(centres, centres[lo : hi + 1], cdf).astype(out_dtype)
    cdf = np.cumsum(counts)
    cdf = (cdf / float(cdf[-1])).astype(out_dtype)
    return Interp.through(binning.centres(), cdf)


def bbhe(
    counts: np.ndarray, binning: Binning, out_dtype: np.dtype, target: np.ndarray | None = None
) -> np.ndarray | None:
    # Kim 1997: split at the mean bin, floor(sum(k * h[k]) / N).
    total = int(counts.sum())
    if total == 0:
        return None
    weighted = int(np.dot(np.arange(counts.size, dtype=np.int64), counts))
    return _split_equalize(counts, weighted // total, out_dtype)


def dsihe(
    counts: np.ndarray, binning: Binning, out_dtype: np.dtype, target: np.ndarray | None = None
) -> np.ndarray | None:
    # Wang 1999: split at the median bin, the first with 2 * cdf >= N.
    total = int(counts.sum())
    if total == 0:
        return None
    return _split_equalize(counts, int(np.searchsorted(2 * np.cumsum(counts), total)), out_dtype)


def _split_equalize(counts: np.ndarray, split: int, out_dtype: np.dtype) -> np.ndarray:
    # Bins 0..split are equalized into [0, a], bins split+1.. into [b, U],
    # each half by the textbook rule on its own cdf: a * cdf_low / N_low and
    # b + (U - b) * cdf_high / N_high, then rounded. a and b are the output
    # positions of bins split and split + 1 (bin k at k * U / (B - 1), rounded
    # for integer output), U the output unit.
    top = unit(out_dtype)
    position = np.array([split, split + 1]) * (top / max(counts.size - 1, 1))
    low_end, high_start = np.rint(position) if is_integer(out_dtype) else position
    low = np.cumsum(counts[: split + 1])
    high = np.cumsum(counts[split + 1 :])
    positions = np.concatenate(
        (low_end * (low / low[-1]), high_start + (top - high_start) * (high / max(int(high[-1:].sum()), 1)))
    )
    return output_levels(positions, out_dtype)
