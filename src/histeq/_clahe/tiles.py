"""Tile geometry of CLAHE: which pixels feed each tile's histogram, and which
tiles (with which weights) each pixel blends.

Geometry is worked out per axis (an :class:`AxisTiles`); an image's tiling is
one per spatial axis. Kernels read the arrays as they are, so everything a
kernel needs per pixel (feed index, neighbouring tiles, weights) is computed
here once, in the exact arithmetic of the library being reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class AxisTiles:
    """The tiling of one axis of ``size`` pixels.

    Attributes
    ----------
    tiles : int
        Number of tiles along the axis.
    length : int
        Pixels per tile, padding included; tiles cover ``tiles * length``
        padded positions, the first ``size`` of them the axis itself (every
        tiling pads at the end only).
    feed : ndarray of int64, shape (tiles * length,)
        The pixel that feeds each padded position (reflected past the end).
    low, high : ndarray of int64, shape (size,)
        The two tiles whose LUTs each pixel blends.
    weight_low, weight_high : ndarray of float, shape (size,)
        Their weights, in the float type of the reproduced library's
        arithmetic: float32 (OpenCV), float64 (scikit-image).
    runs : ndarray of int64, shape (runs + 1,)
        Where each run of pixels that blend the same two tiles starts, and
        the axis length (derived from ``low`` and ``high``).
    """

    tiles: int
    length: int
    feed: np.ndarray
    low: np.ndarray
    high: np.ndarray
    weight_low: np.ndarray
    weight_high: np.ndarray
    runs: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        low, high = self.low, self.high
        change = np.flatnonzero((low[1:] != low[:-1]) | (high[1:] != high[:-1])) + 1
        object.__setattr__(self, "runs", np.concatenate(([0], change, [low.shape[0]])).astype(np.int64))


def reflect_101(positions: np.ndarray, size: int) -> np.ndarray:
    """OpenCV's ``BORDER_REFLECT_101`` (``borderInterpolate``): mirror
    positions outside ``0 .. size - 1`` without repeating the edge pixel,
    repeatedly for paddings longer than the axis. Returns int64."""
    p = np.asarray(positions, dtype=np.int64).copy()
    if size == 1:
        return np.zeros_like(p)
    period = 2 * (size - 1)
    p = np.mod(p, period)
    return np.where(p < size, p, period - p)


def opencv_tiling(shape: tuple[int, ...], grid: tuple[int, ...]) -> list[AxisTiles]:
    """The tiling of ``cv::CLAHE``, on any number of axes.

    If every axis divides evenly into its tiles, tiles are ``size / tiles``
    long. Otherwise *every* axis is padded at its end with reflect-101 by
    ``tiles - size % tiles`` pixels (a whole tile's worth on axes that divided
    evenly: OpenCV's quirk, kept). Padding only feeds the histograms. Pixel
    ``i`` blends tiles ``floor(t)`` and ``floor(t) + 1`` (clamped) at
    ``t = float32(i) * float32(1 / length) - 0.5``, all in float32 as OpenCV.
    """
    divisible = all(size % tiles == 0 for size, tiles in zip(shape, grid))
    axes = []
    for size, tiles in zip(shape, grid):
        padded = size if divisible else size + tiles - size % tiles
        length = padded // tiles
        feed = reflect_101(np.arange(padded), size)
        position = np.arange(size, dtype=np.float32) * (np.float32(1.0) / np.float32(length))
        position -= np.float32(0.5)
        first = np.floor(position)
        weight_high = position - first
        weight_low = np.float32(1.0) - weight_high
        low = first.astype(np.int64)
        axes.append(
            AxisTiles(
                tiles=tiles,
                length=length,
                feed=feed,
                low=np.maximum(low, 0),
                high=np.minimum(low + 1, tiles - 1),
                weight_low=weight_low,
                weight_high=weight_high,
            )
        )
    return axes


def whole_axis(size: int) -> AxisTiles:
    """One tile spanning an axis of ``size`` pixels, without padding: the
    tiling of the axes that a 2-D image is lifted into (its lone z slice)."""
    zeros = np.zeros(size, dtype=np.int64)
    return AxisTiles(
        tiles=1,
        length=size,
        feed=np.arange(size, dtype=np.int64),
        low=zeros,
        high=zeros,
        weight_low=np.ones(size, dtype=np.float32),
        weight_high=np.zeros(size, dtype=np.float32),
    )


def separate_slices(count: int) -> AxisTiles:
    """``count`` slices that are images of their own (a batch of 2-D images
    stacked along z): each slice its own tile, blended with weight 1 alone, as
    the lone slice of a 2-D image (:func:`whole_axis`) is."""
    slices = np.arange(count, dtype=np.int64)
    return AxisTiles(
        tiles=count,
        length=1,
        feed=slices,
        low=slices,
        high=slices,
        weight_low=np.ones(count, dtype=np.float32),
        weight_high=np.zeros(count, dtype=np.float32),
    )


def skimage_tiling(shape: tuple[int, ...], kernel_size: tuple[int, ...]) -> list[AxisTiles]:
    """The tiling of ``skimage.exposure.equalize_adapthist``, on any number of axes.

    scikit-image pads each axis with numpy's ``'reflect'`` (mirror without
    repeating the edge pixel): ``k // 2`` pixels before and
    ``(k - size % k) % k + ceil(k / 2)`` after, for a kernel of ``k`` pixels.
    Its ``ceil(size / k)`` histogram regions start at pixel 0 (region ``r``
    holds pixels ``r * k .. (r + 1) * k - 1``), so only the padding after the
    image feeds histograms: ``feed`` mirrors the positions past the end.

    Pixel ``i`` lies at padded position ``p = i + k // 2``, in block
    ``p // k``: it blends regions ``block - 1`` and ``block`` (clamped) with
    float64 weights ``1 - o / k`` and ``o / k``, ``o = p % k``, as scikit-image
    computes them.
    """
    axes = []
    for size, k in zip(shape, kernel_size):
        tiles = -(-size // k)
        position = np.arange(size, dtype=np.int64) + k // 2
        block = position // k
        weight_high = (position % k) / k
        axes.append(
            AxisTiles(
                tiles=tiles,
                length=k,
                feed=reflect_101(np.arange(tiles * k), size),
                low=np.clip(block - 1, 0, tiles - 1),
                high=np.minimum(block, tiles - 1),
                weight_low=1 - weight_high,
                weight_high=weight_high,
            )
        )
    return axes
