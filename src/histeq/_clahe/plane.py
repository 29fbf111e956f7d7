"""OpenCV's CLAHE on one plane, in pieces: the tiling lifted to ``(z, y, x)``,
the plane's codes, the clip limit, MATLAB's distribution curves and the blend
into the result. Shared by ``histeq.clahe``, split runs (a video's frames,
:mod:`.split`) and Dask blocks (``histeq._dask.clahe``).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .._core.binning import DEFAULT_FLOAT_BINS, EXACT_FLOAT_LIMIT, EqualBins, OffsetBins
from .._core.levels import is_small_integer, levels_from_fractions
from ..backends import compiled, kernels
from .tiles import AxisTiles, opencv_tiling, whole_axis

#: Float images and wide integer ranges: at most this many bins (one code is
#: kept for NaN).
MAX_CODED_BINS = 0xFFFF


@functools.lru_cache(maxsize=16)
def lift(shape: tuple[int, ...], grid: tuple[int, ...]) -> tuple[tuple[int, int, int], tuple[AxisTiles, ...]]:
    """The 3-D ``(z, y, x)`` shape kernels see, and its tiling: a 2-D image is
    one z slice, a 1-D image one row of one slice (as OpenCV tiles a 1-row image).

    Cached: a batch of images of one size tiles them once (the numpy work is
    small, but slow on a cold cache). Callers must not modify the arrays."""
    if len(shape) == 3:
        return shape, tuple(opencv_tiling(shape, grid))
    if len(shape) == 1:
        shape, grid = (1, shape[0]), (1, grid[0])
    rows, columns = shape
    return (1, rows, columns), (whole_axis(1), *opencv_tiling(shape, grid))


def clip_pixels(clip: float, area: int, bins: int) -> int:
    """Pixels a bin may hold: OpenCV's ``max(int(clip * area / bins), 1)``,
    in its double arithmetic, or 0 (no clipping) for a limit of 0 and for
    limits no tile can reach (a bin holds at most ``area`` pixels, so clipping
    there changes nothing; OpenCV's own int conversion of limits of 2**31
    and more is undefined behaviour in C++)."""
    if clip == 0:
        return 0
    pixels = clip * area / bins
    return 0 if pixels >= area else max(int(pixels), 1)


def plane_codes(plane: np.ndarray, nbins: int | None) -> tuple[np.ndarray, int, int]:
    """``(codes, flip, levels)``: the plane as kernels read it.

    8/16-bit integers are their own codes (signed ones viewed as unsigned and
    ``flip``-ped to offsets from the minimum), ``levels`` per dtype. Wider
    integers whose occupied range spans at most 65535 levels become their
    offsets from the minimum (at least 2 levels); other wide integers and
    floats become uint16 codes of ``nbins`` equal bins over the occupied
    (finite) range, computed as ``np.histogram`` bins them, NaN as ``levels``
    (integers with levels beyond +-2**53, which float64 does not hold: the
    bins of their exact offsets from the minimum).
    """
    if is_small_integer(plane.dtype):
        bits = 8 * plane.dtype.itemsize
        unsigned = np.ascontiguousarray(plane).view(f"u{plane.dtype.itemsize}")
        flip = 1 << (bits - 1) if plane.dtype.kind == "i" else 0
        return unsigned, flip, 1 << bits
    values = code_values(plane)
    return coded(values, nbins, *value_extent(values))


def code_values(plane: np.ndarray) -> np.ndarray:
    """The values a plane of floats or wide integers is coded from: float16
    as float32, the rest as it is (C-contiguous)."""
    return plane.astype(np.float32) if plane.dtype == np.float16 else np.ascontiguousarray(plane)


def value_extent(values: np.ndarray) -> tuple[float | np.generic, float | np.generic]:
    """The range :func:`coded` bins ``values`` over: integers' min and max,
    floats' :func:`_finite_extent`."""
    if values.dtype.kind in "iu":
        return values.min(), values.max()
    return _finite_extent(values)


def coded(values: np.ndarray, nbins: int | None, low: Any, high: Any) -> tuple[np.ndarray, int, int]:
    """``(codes, flip, levels)`` of :func:`code_values` ``values`` binned over
    ``low .. high`` (:func:`value_extent` of the whole plane; of a part of
    it too, which gives that part's codes in the whole plane's bins)."""
    binning: EqualBins | OffsetBins
    if values.dtype.kind in "iu":
        if nbins is None and int(high) - int(low) < MAX_CODED_BINS:
            return (values - low).astype(np.uint16), 0, max(int(high) - int(low) + 1, 2)
        if max(-int(low), int(high)) > EXACT_FLOAT_LIMIT:  # levels float64 does not hold: exact offsets
            binning = OffsetBins.between(low, high, nbins or MAX_CODED_BINS)
        else:
            binning = EqualBins.between(low, high, nbins or MAX_CODED_BINS, values.dtype)
    else:
        binning = EqualBins.between(low, high, nbins or DEFAULT_FLOAT_BINS, values.dtype)
    line = values.reshape(-1)
    _, codes = binning.count_for_lut(line, None)  # large lines: uint16 codes from a kernel
    if codes is None:  # small lines: numpy's arithmetic, as np.histogram
        codes = binning.bin_of(line)
        codes[codes < 0] = binning.nbins  # NaN
    return codes.astype(np.uint16, copy=False), 0, binning.nbins


def _finite_extent(values: np.ndarray) -> tuple[float | np.floating, float | np.floating]:
    """``(min, max)`` of the non-NaN values (numpy's 0..1 when all are NaN);
    ValueError for +-inf."""
    finite = np.isfinite(values)
    if not finite.all() and np.isinf(values).any():
        raise ValueError(
            f"image contains {int(np.count_nonzero(np.isinf(values)))} infinite value(s); "
            "clahe needs finite values (NaN is allowed and kept)"
        )
    if not finite.any():
        return 0.0, 1.0
    return np.nanmin(values), np.nanmax(values)


def distribution_curve(distribution: str, alpha: float, area: int, top: int) -> np.ndarray:
    """uint16 levels of each cdf value ``0 .. area`` for MATLAB's rayleigh and
    exponential distributions (``adapthisteq``'s formulas, then rounded)."""
    fraction = np.arange(area + 1, dtype=np.float64) / area
    if distribution == "rayleigh":
        spread = 2.0 * alpha * alpha
        value = np.minimum((1.0 - np.exp(-1.0 / spread)) * fraction, 1.0 - np.finfo(float).eps)
        curve = np.sqrt(-spread * np.log1p(-value))
    else:
        value = np.minimum((1.0 - np.exp(-alpha)) * fraction, 1.0 - np.finfo(float).eps)
        curve = -np.log1p(-value) / alpha
    return np.rint(np.minimum(curve, 1.0) * top).astype(np.uint16)


def blend_into(target, codes, flip, shift, lo, top, luts, axes, depth=None) -> None:
    """Blend into ``target``: levels into 8/16-bit integers, fractions into
    floats; through a buffer when ``target`` is not C-contiguous, and for
    float16 and wide integers (fractions become levels of the full range).
    ``depth``: the blend's z tile layers (see ``tile_blend.blend``)."""
    # a part of an image (a Dask block, with the whole image's depth): the compiled blend, which takes it
    blend = (kernels(codes) if depth is None else compiled()).tile_blend.blend
    small = is_small_integer(target.dtype)
    direct = target.flags.c_contiguous and (small or target.dtype in (np.float32, np.float64))
    if direct:
        buffer = target
    else:
        buffer = np.empty(target.shape, target.dtype if small else np.float32)
    kernel_out = buffer.view(f"u{buffer.dtype.itemsize}") if small else buffer
    layers = {} if depth is None else {"depth": depth}  # a part of an image: the whole image's
    blend(codes, kernel_out.reshape(codes.shape), flip, shift, lo, top, luts, axes, fraction=not small, **layers)
    if direct:
        return
    if small or target.dtype.kind == "f":
        target[...] = buffer
    else:
        target[...] = levels_from_fractions(buffer, target.dtype)
