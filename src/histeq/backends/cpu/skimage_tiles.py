"""CPU kernels (numba) of scikit-image's CLAHE (``equalize_adapthist``): bin
codes of float pixels, per-tile LUTs (clip with iterative redistribution) and
the multilinear blend of neighbouring tiles' LUTs.

Tile histograms are counted by :func:`histeq.backends.cpu.tiles.count_tiles`
and integer pixels are mapped to their bins by
:func:`histeq.backends.cpu.apply.apply_levels`; these kernels do the rest. Like the
other backends they are serial, GIL-free, run over chunks on several threads
and never use ``fastmath``: the blend must round exactly as scikit-image's
numpy code does.
"""

from __future__ import annotations

import numpy as np

from .._threads import run_chunks
from .bins import jit

#: scikit-image's requantized levels: 14 bits.
_TOP_LEVEL = 16383


@jit
def _float_codes(x, scale, table, out, start, stop):
    # scikit-image's img_as_uint (rint(x * 65535) in x's float type, clipped),
    # then the table from 16-bit levels to bins.
    for i in range(start, stop):
        level = min(max(np.rint(x[i] * scale), 0.0), 65535.0)
        out[i] = table[np.intp(level)]


def float_codes(x: np.ndarray, table: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = table[u]`` for the 16-bit level ``u`` scikit-image's
    ``img_as_uint`` gives the float ``x[i]`` (float32 or float64, no NaN):
    ``clip(rint(x * 65535), 0, 65535)`` computed in ``x``'s dtype. 1-D arrays."""
    run_chunks(_float_codes, x.size, x, x.dtype.type(65535), table, out)


@jit
def _clip_and_redistribute(h, clim):
    # scikit-image's clip_histogram, in place on the int64 histogram h.
    nbins = h.shape[0]
    excess = 0
    for i in range(nbins):
        if h[i] > clim:
            excess += h[i] - clim
            h[i] = clim
    increment = excess // nbins
    upper = clim - increment
    for i in range(nbins):
        if h[i] < upper:
            h[i] += increment
            excess -= increment
    for i in range(nbins):  # after the increments, as scikit-image's masks
        if upper <= h[i] < clim:
            excess -= clim - h[i]
            h[i] = clim
    while excess > 0:
        before = excess
        under = 0
        for i in range(nbins):
            under += h[i] < clim
        for first in range(nbins):
            step = max(1, under // excess)
            added = 0
            for i in range(first, nbins, step):
                if h[i] < clim:
                    h[i] += 1
                    added += 1
                    under -= h[i] == clim
            excess -= added
            if excess <= 0:
                break
        if excess == before:
            break


@jit
def _skimage_luts(hist, clim, scale, luts, begin, end):
    # Tiles begin .. end: clip, then lut = trunc(min(cumsum * scale, top)).
    nbins = luts.shape[1]
    h = np.empty(nbins, dtype=np.int64)
    for t in range(begin, end):
        h[:] = hist[t, :nbins]
        _clip_and_redistribute(h, clim)
        total = 0
        for b in range(nbins):
            total += h[b]
            luts[t, b] = np.uint16(min(np.float64(total) * scale, np.float64(_TOP_LEVEL)))


def skimage_luts(hist: np.ndarray, clim: int, kernel_elements: int) -> np.ndarray:
    """scikit-image's per-tile LUTs (levels ``0 .. 16383``): uint16
    ``(tiles, nbins)`` from ``hist`` ``(tiles, nbins + 1)`` (the spare last
    bin is ignored).

    ``clim``: pixels allowed per bin; ``kernel_elements``: pixels per tile.
    """
    tiles, nbins = hist.shape[0], hist.shape[1] - 1
    luts = np.empty((tiles, nbins), dtype=np.uint16)
    scale = _TOP_LEVEL / kernel_elements
    run_chunks(_skimage_luts, tiles, hist, clim, scale, luts, grain=4 * nbins)
    return luts


@jit
def _gather(row, table, first, stop, into):
    # into[i] = table[row[i]] for columns first .. stop: a scalar loop of loads.
    for i in range(np.uint64(first), np.uint64(stop)):
        into[i] = table[np.uint64(row[i])]


@jit
def _add_terms(acc, g, xw0, xw1, wy0, wy1, wz):
    # acc += the four terms of one z layer in np.ndindex order (y, then x),
    # each float32(lut * ((w_x * w_y) * w_z)), in float32: a loop without
    # loads that depend on data, so it vectorizes.
    for i in range(np.uint64(acc.shape[0])):
        total = acc[i]
        total += np.float32(g[0, i] * ((xw0[i] * wy0) * wz))
        total += np.float32(g[1, i] * ((xw1[i] * wy0) * wz))
        total += np.float32(g[2, i] * ((xw0[i] * wy1) * wz))
        total += np.float32(g[3, i] * ((xw1[i] * wy1) * wz))
        acc[i] = total


@jit
def _add_layer(acc, g, luts, row, low_row, high_row, x, starts, wy0, wy1, wz):
    # Add one z layer's terms for a pixel row: low_row and high_row are the
    # first LUTs of the y tile rows it blends. Columns fall into segments that
    # blend the same two x tiles.
    xlow, xhigh, xw0, xw1 = x
    for s in range(starts.shape[0] - 1):
        first = starts[s]
        stop = starts[s + 1]
        xl = xlow[first]
        xh = xhigh[first]
        _gather(row, luts[low_row + xl], first, stop, g[0])
        _gather(row, luts[low_row + xh], first, stop, g[1])
        _gather(row, luts[high_row + xl], first, stop, g[2])
        _gather(row, luts[high_row + xh], first, stop, g[3])
    _add_terms(acc, g, xw0, xw1, wy0, wy1, wz)


@jit
def _truncate(acc, row, lo, hi):
    # row = uint16(acc) (truncation, as numpy's astype); returns the running range.
    for i in range(np.uint64(acc.shape[0])):
        level = np.uint16(acc[i])
        row[i] = level
        lo = min(lo, level)
        hi = max(hi, level)
    return lo, hi


@jit
def _blend(codes, luts, tiles, z, y, x, starts, begin, end):
    # Rows begin .. end of all z slices: each code becomes the uint16
    # truncation of its blended level, in place. Returns the chunk's range.
    # A z layer of weight 0 (every 2-D image's upper layer) is skipped: its
    # terms are +0.0, which leave a float32 sum unchanged.
    zlow, zhigh, zw0, zw1 = z
    ylow, yhigh, yw0, yw1 = y
    ytiles, xtiles = tiles
    height = codes.shape[1]
    width = codes.shape[2]
    g = np.empty((4, width), dtype=np.uint16)
    acc = np.empty(width, dtype=np.float32)
    lo = np.uint16(65535)
    hi = np.uint16(0)
    for r in range(begin, end):
        pz = r // height
        py = r % height
        row = codes[pz, py]
        acc[:] = 0.0
        for tz, wz in ((zlow[pz], zw0[pz]), (zhigh[pz], zw1[pz])):
            if wz != 0.0:
                low_row = (tz * ytiles + ylow[py]) * xtiles
                high_row = (tz * ytiles + yhigh[py]) * xtiles
                _add_layer(acc, g, luts, row, low_row, high_row, x, starts, yw0[py], yw1[py], wz)
        lo, hi = _truncate(acc, row, lo, hi)
    return lo, hi


def blend(codes: np.ndarray, luts: np.ndarray, axes: list) -> tuple[int, int]:
    """Replace every bin code in ``codes`` (uint16 ``(z, y, x)``, C-ordered
    rows) by its blend of the neighbouring tiles' ``luts`` (from
    :func:`skimage_luts`), truncated to uint16 as scikit-image does.

    ``axes``: the three :class:`histeq._clahe.tiles.AxisTiles` of ``codes``' axes.
    Returns the ``(min, max)`` of the blended levels.
    """
    z, y, x = ((a.low, a.high, a.weight_low.astype(np.float64), a.weight_high.astype(np.float64)) for a in axes)
    tiles = (axes[1].tiles, axes[2].tiles)
    starts = axes[2].runs
    rows = codes.shape[0] * codes.shape[1]
    chunks = run_chunks(_blend, rows, codes, luts, tiles, z, y, x, starts, grain=codes.shape[2])
    return min(int(lo) for lo, _ in chunks), max(int(hi) for _, hi in chunks)
