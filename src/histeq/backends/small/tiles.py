"""OpenCV's CLAHE LUTs in numpy, bit for bit as
:func:`histeq.backends.cpu.tiles.opencv_luts` (same arguments and result).

Every tile's histogram is one ``np.bincount`` of ``tile * (n + 1) + bin``
over the padded image (read through each axis's ``feed``); the clip,
redistribution and cumulative sum run on all tiles at once, in int64 (the
kernel's counters hold the same integers), and the LUT is
``min(rint(float32(cdf) * scale), top)`` in float32 as there. Larger images
than :data:`MAX_PIXELS` go to the compiled kernels (numpy's padded copy and
its time grow with the image). Other tile kernels come from the compiled
backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _compiled, _delegate, timed

__all__ = ["MAX_PIXELS", "code_range", "opencv_luts", "tile_bins"]

#: Images of more pixels go to the compiled kernels: numpy's CLAHE takes about
#: 25 ns a pixel (the kernels 1) and holds the padded image's bins (8 bytes
#: a pixel).
MAX_PIXELS = 1 << 22
#: The LUT entry of uncounted codes (the compiled backend's ``UNCOUNTED``).
_UNCOUNTED = 0xFFFF


def __getattr__(name: str) -> Any:
    return _delegate(name, "tiles")


def tile_bins(codes: np.ndarray, flip: int, shift: int, lo: int, n: int) -> np.ndarray:
    """Each code's bin ``((code ^ flip) >> shift) - lo`` as intp, codes
    outside ``lo .. lo + n - 1`` in the spare bin ``n``."""
    bins = ((codes.astype(np.intp) ^ flip) >> shift) - lo
    return np.where((bins >= 0) & (bins < n), bins, n)


@timed
def code_range(codes: np.ndarray, flip: int) -> tuple[int, int]:
    """``(min, max)`` of ``codes ^ flip`` (an array of unsigned codes)."""
    flipped = codes ^ codes.dtype.type(flip)
    return int(flipped.min()), int(flipped.max())


@timed
def opencv_luts(codes, flip, shift, lo, axes, n, nbins, limit, scale, top, curve=None):
    """:func:`histeq.backends.cpu.tiles.opencv_luts`: OpenCV's LUT of every
    tile, uint16 ``(tiles, n + 1)``, the last entry uncounted."""
    if codes.size > MAX_PIXELS:
        return _compiled().tiles.opencv_luts(codes, flip, shift, lo, axes, n, nbins, limit, scale, top, curve)
    z, y, x = axes
    padded = tile_bins(codes[np.ix_(z.feed, y.feed, x.feed)], flip, shift, lo, n)
    shape = (z.tiles, z.length, y.tiles, y.length, x.tiles, x.length)
    tiles = z.tiles * y.tiles * x.tiles
    per_tile = padded.reshape(shape).transpose(0, 2, 4, 1, 3, 5).reshape(tiles, -1)
    offsets = np.arange(tiles, dtype=np.intp)[:, None] * (n + 1)
    counts = np.bincount((per_tile + offsets).reshape(-1), minlength=tiles * (n + 1)).reshape(tiles, n + 1)
    cdf = counts[:, :n].astype(np.int64)
    total = np.zeros(tiles, np.int64)
    if limit > 0:
        excess = np.maximum(cdf - limit, 0).sum(axis=1)
        batch = excess // nbins
        residual = excess - batch * nbins
        step = np.where(residual > 0, np.maximum(nbins // np.maximum(residual, 1), 1), 1)
        # redistributed counts of the bins below lo: batch each, plus one for
        # each residual bin 0, step, 2 * step, ... below lo
        given = np.minimum(residual, (lo + step - 1) // step)
        total += lo * batch + given
        cdf = np.minimum(cdf, limit) + batch[:, None]
        first = given * step - lo  # the next residual bin
        for tile in np.flatnonzero(first < n):
            k = min(int(residual[tile] - given[tile]), (n - 1 - int(first[tile])) // int(step[tile]) + 1)
            cdf[tile, first[tile] : first[tile] + k * step[tile] : step[tile]] += 1
    cdf = np.cumsum(cdf, axis=1) + total[:, None]
    luts = np.empty((tiles, n + 1), np.uint16)
    if curve is None:
        levels = np.rint(cdf.astype(np.float32) * np.float32(scale))
        luts[:, :n] = np.minimum(levels, np.float32(top))
    else:
        luts[:, :n] = curve[cdf]
    luts[:, n] = _UNCOUNTED
    return luts
