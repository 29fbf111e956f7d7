"""CLAHE's blend in numpy, bit for bit as
:func:`histeq.backends.cpu.tile_blend.blend` (same arguments).

Each pixel's levels in its 2 x 2 (in 3-D 2 x 2 x 2) nearest tiles' LUTs are
gathered, then blended in OpenCV's float32 order ``(L11 xa1 + L12 xa) ya1 +
(L21 xa1 + L22 xa) ya`` (in 3-D that, times ``za1``, plus the far layer's,
times ``za``), a block of rows at a time.
"""

from __future__ import annotations

import numpy as np

from . import BLOCK, timed
from .tiles import tile_bins

__all__ = ["blend"]


@timed
def blend(codes, out, flip, shift, lo, top, luts, axes, fraction=False):
    """:func:`histeq.backends.cpu.tile_blend.blend`: every pixel's blend of
    its neighbouring tiles' LUTs into ``out`` (levels; ``fraction``:
    ``value / top``, NaN for uncounted codes)."""
    z, y, x = axes
    n = luts.shape[1] - 1
    flat = luts.reshape(-1)
    rows = max(1, BLOCK // max(codes.shape[2], 1))
    depth = 2 if z.high.max() > 0 else 1  # z tile layers a pixel blends, as the kernel
    for pz in range(codes.shape[0]):
        for r0 in range(0, codes.shape[1], rows):
            r1 = min(r0 + rows, codes.shape[1])
            bins = tile_bins(codes[pz, r0:r1], flip, shift, lo, n)
            value, first = _layer(flat, n, bins, z.low[pz], y, x, r0, r1)
            if depth == 2:
                value = (
                    value * z.weight_low[pz] + _layer(flat, n, bins, z.high[pz], y, x, r0, r1)[0] * z.weight_high[pz]
                )
            target = out[pz, r0:r1]
            if fraction:
                target[...] = np.where(first == _UNCOUNTED_LEVEL, np.float32(np.nan), value / np.float32(top))
            else:
                target[...] = (np.rint(value).astype(np.int64) << shift) ^ flip


_UNCOUNTED_LEVEL = np.float32(0xFFFF)


def _layer(flat, n, bins, tz, y, x, r0, r1) -> tuple[np.ndarray, np.ndarray]:
    # OpenCV's (L11 xa1 + L12 xa) ya1 + (L21 xa1 + L22 xa) ya of rows r0 .. r1
    # in z tile layer tz, float32 in its order; and L11 (uncounted codes' level).
    upper = (tz * y.tiles + y.low[r0:r1, None]) * x.tiles
    lower = (tz * y.tiles + y.high[r0:r1, None]) * x.tiles
    l11, l12 = (_levels(flat, upper + column, n, bins) for column in (x.low, x.high))
    l21, l22 = (_levels(flat, lower + column, n, bins) for column in (x.low, x.high))
    ya1, ya = y.weight_low[r0:r1, None], y.weight_high[r0:r1, None]
    value = (l11 * x.weight_low + l12 * x.weight_high) * ya1 + (l21 * x.weight_low + l22 * x.weight_high) * ya
    return value, l11


def _levels(flat: np.ndarray, tiles: np.ndarray, n: int, bins: np.ndarray) -> np.ndarray:
    # The level of every pixel's bin in its tile's LUT (rows of n + 1 entries), float32.
    return flat.take(tiles * (n + 1) + bins).astype(np.float32)
