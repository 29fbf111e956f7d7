"""CLAHE in two steps: tile counts of a plane, then the plan and blend from
tile counts made anywhere (smoothed over video frames).

:func:`histeq.clahe` counts and plans each tile row in one kernel; a video
smooths every tile's histogram over frames in between, so here the two are
apart, each the same code as the still image's: the counts are
``count_tiles``'s, the plan is ``_tile_lut`` (OpenCV's clip, redistribution
and LUT, through ``plan_tiles``) or scikit-image's ``skimage_luts``, the
blend is the still image's. A plane counted and planned from its own counts
is ``clahe``'s result bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._core.levels import is_small_integer, skimage_float_dtype
from .._video.smoothing import Histograms
from ..backends import kernels
from . import skimage as _skimage
from .plane import blend_into, clip_pixels, distribution_curve, lift, plane_codes
from .tiles import AxisTiles, skimage_tiling, whole_axis


@dataclass
class TileCounts:
    """One plane's tile histograms and what its blend needs.

    Attributes
    ----------
    codes : ndarray, 3-D ``(z, y, x)``
        The plane as the kernels read it (bin codes).
    flip : int
        Signed integers' sign bit (see :mod:`histeq.backends.cpu.tiles`).
    histograms : Histograms
        Every tile's histogram (int64, one row per tile): of 16-bit planes
        over the bins ``low .. high``; else over all bins and a last column
        for the pixels that are not counted (NaN).
    low, high : int
        The lowest and highest bin this plane's pixels fall in.
    ranged : bool
        Whether ``histograms`` hold the occupied bins only (16-bit planes).
    """

    codes: np.ndarray
    flip: int
    histograms: Histograms
    low: int
    high: int
    ranged: bool = False


class OpenCVTiles:
    """OpenCV's CLAHE (:func:`histeq.clahe`'s ``method="opencv"``) of grey
    planes of one shape and dtype, with checked options."""

    def __init__(
        self,
        shape: tuple[int, ...],
        dtype: np.dtype,
        clip: float,
        grid: tuple[int, ...],
        shift: int,
        nbins: int | None,
        distribution: str,
        alpha: float,
    ) -> None:
        self.shape3, self.axes = lift(shape, grid)
        self.area = self.axes[0].length * self.axes[1].length * self.axes[2].length
        self.clip, self.shift, self.nbins = clip, shift, nbins
        self.distribution, self.alpha = distribution, alpha
        self.small = is_small_integer(dtype)

    def count(self, plane: np.ndarray) -> TileCounts:
        """Tile histograms of ``plane`` (int64, all bins): bins are OpenCV's
        (levels ``>> bit_shift``); floats and wide integers are binned over
        the plane's own range, as :func:`histeq.clahe` bins a still image."""
        tiles = kernels(plane).tiles
        codes, flip, levels = plane_codes(plane, self.nbins)
        codes = codes.reshape(self.shape3)
        bins = levels >> self.shift
        if self.small and bins > 256:  # the occupied bins only: 16-bit planes rarely fill 65536
            low, high = (level >> self.shift for level in tiles.code_range(codes, flip))
            counts = tiles.count_tiles(codes, flip, self.shift, low, self.axes, high - low + 1)
            held = Histograms(counts.reshape(-1, high - low + 2)[:, :-1].astype(np.int64), low, bins)
            return TileCounts(codes, flip, held, low, high, ranged=True)
        counts = tiles.count_tiles(codes, flip, self.shift, 0, self.axes, bins).reshape(-1, bins + 1)
        return TileCounts(codes, flip, Histograms(counts.astype(np.int64), 0, bins + 1), 0, bins - 1)

    def apply(self, counted: TileCounts, smoothed: Histograms, target: np.ndarray) -> None:
        """Plan every tile from ``smoothed`` (of the binning of
        ``counted.histograms``, each row summing to a tile's pixels) and blend
        ``counted``'s plane into ``target`` (the plane's shape and dtype)."""
        if not counted.ranged:  # all bins, and the spare one
            bins = smoothed.size - 1
            lo, hi = 0, bins - 1
            counts = smoothed.counts[:, :bins]
        else:  # the LUTs hold the bins of the counts and of the plane
            bins = smoothed.size
            occupied = np.flatnonzero(smoothed.counts.any(axis=0)) + smoothed.first
            lo, hi = counted.low, counted.high
            if occupied.size:
                lo, hi = min(lo, int(occupied[0])), max(hi, int(occupied[-1]))
            counts = smoothed.within(lo, hi + 1)
        top = bins - 1
        scale = np.float32(top) / np.float32(self.area)
        curve = (
            None
            if self.distribution == "uniform"
            else distribution_curve(self.distribution, self.alpha, self.area, top)
        )
        held = np.zeros((counts.shape[0], hi - lo + 2), np.int64)
        held[:, :-1] = counts
        limit = clip_pixels(self.clip, self.area, bins)
        luts = kernels(held).tiles.plan_tiles(held, bins, lo, limit, scale, top, curve)
        blend_into(target, counted.codes, counted.flip, self.shift, lo, top, luts, self.axes)


class SkimageTiles:
    """scikit-image's CLAHE (:func:`histeq.clahe`'s ``method="skimage"``) of
    grey planes of one shape and dtype, with checked options. Bins are each
    plane's own 14-bit requantization (its min-max stretch), as
    scikit-image's."""

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, kernel_size: object, clip: float, nbins: int) -> None:
        if np.dtype(dtype).type not in _skimage._DTYPES:
            raise TypeError(
                f"method='skimage' CLAHE takes uint8, uint16 or float images; got dtype {dtype} "
                "(scale it to one of these first)"
            )
        if len(shape) > 3:
            raise ValueError(f"method='skimage' CLAHE takes 1-, 2- or 3-D images; got {len(shape)}-D")
        kernel = _skimage._kernel_size(kernel_size, shape)
        self.bins = _skimage._bin_count(nbins)
        self.elements = int(np.prod(kernel))
        self.clim = _skimage._clip_pixels(clip, self.elements)
        self.axes: list[AxisTiles] = [whole_axis(1)] * (3 - len(shape)) + skimage_tiling(shape, kernel)
        self.float_dtype = skimage_float_dtype(np.dtype(dtype))

    def count(self, plane: np.ndarray) -> TileCounts:
        """Tile histograms of ``plane``'s bins (int64 ``(tiles, nbins + 1)``)."""
        array = plane.astype(np.float32) if plane.dtype == np.float16 else plane
        codes = _skimage._bin_codes(array, self.bins).reshape((1,) * (3 - array.ndim) + array.shape)
        counts = kernels(codes).tiles.count_tiles(codes, 0, 0, 0, self.axes, self.bins).reshape(-1, self.bins + 1)
        return TileCounts(codes, 0, Histograms(counts.astype(np.int64), 0, self.bins + 1), 0, self.bins - 1)

    def apply(self, counted: TileCounts, smoothed: Histograms, target: np.ndarray) -> None:
        """Plan every tile from ``smoothed`` and blend into ``target`` (the
        plane's shape, scikit-image's float dtype); ``counted.codes`` is
        used up (the blend writes levels over it)."""
        cpu = kernels(smoothed.counts)
        luts = cpu.skimage_tiles.skimage_luts(smoothed.counts, self.clim, self.elements)
        low, high = cpu.skimage_tiles.blend(counted.codes, luts, self.axes)
        target[...] = _skimage._stretch(counted.codes, low, high, self.float_dtype).reshape(target.shape)
