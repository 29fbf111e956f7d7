"""Plans: from histogram counts to the mapping of every bin.

Plans touch bins, never pixels, and are plain numpy shared by every backend,
except the 8-bit OpenCV plan, which runs on every uint8 call and is one small
compiled function (``backends.cpu.opencv_byte_offsets``).
Each returns a LUT (one output value per bin, in the output dtype), an
:class:`Interp` (scikit-image's piecewise-linear mapping of float values), or
``None`` when the image is returned unchanged. The formulas are those of
``shared/ALGORITHMS.md`` and are verified against the real libraries in tests.
"""

from __future__ import annotations

import numpy as np

from ._binning import Binning, Interp, LevelBins, Mapping
from ._dtypes import is_integer, levels_from_offsets, span

#: The public method names, in the order the docs list them.
METHODS = ("opencv", "textbook", "skimage", "pillow")


def plan(method: str, counts: np.ndarray, binning: Binning, out_dtype: np.dtype) -> Mapping | None:
    """The mapping of ``method`` for int64 ``counts`` over ``binning``'s bins."""
    return _PLANS[method](counts, binning, out_dtype)


def _opencv(counts: np.ndarray, binning: Binning, out_dtype: np.dtype) -> Mapping | None:
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
    from .backends.cpu import opencv_byte_offsets  # numba: imported on first use

    offsets = opencv_byte_offsets(counts)
    if offsets is None or out_dtype == np.uint8:
        return offsets
    return levels_from_offsets(offsets, out_dtype)


def _textbook(counts: np.ndarray, binning: Binning, out_dtype: np.dtype) -> Mapping | None:
    # s_k = (L - 1) * cdf[k] / N (Gonzalez & Woods), rounded half to even.
    total = int(counts.sum())
    if total == 0:
        return None
    cdf = np.cumsum(counts)
    if not is_integer(out_dtype):
        return (cdf / total).astype(out_dtype)
    return levels_from_offsets(np.rint(cdf * float(span(out_dtype)) / total), out_dtype)


def _pillow(counts: np.ndarray, binning: Binning, out_dtype: np.dtype) -> Mapping | None:
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


def _skimage(counts: np.ndarray, binning: Binning, out_dtype: np.dtype) -> Mapping | None:
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
        lo, hi = occupied[0], occupied[-1]
        cdf = np.cumsum(counts[lo : hi + 1])
        cdf = (cdf / float(cdf[-1])).astype(out_dtype)
        centres = binning.centres()
        return np.interp(centres, centres[lo : hi + 1], cdf).astype(out_dtype)
    cdf = np.cumsum(counts)
    cdf = (cdf / float(cdf[-1])).astype(out_dtype)
    return Interp.through(binning.centres(), cdf)


_PLANS = {"opencv": _opencv, "textbook": _textbook, "skimage": _skimage, "pillow": _pillow}
