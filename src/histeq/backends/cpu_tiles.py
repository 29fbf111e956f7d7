"""CPU kernels (numba) of tiled equalization (CLAHE): per-tile histograms,
per-tile LUTs, and the blend of neighbouring tiles' LUTs at every pixel.

Images reach the kernels as 3-D arrays ``(z, y, x)`` of unsigned *codes* (a 2-D
image is one z slice) whose last axis is contiguous. A code's bin is
``((code ^ flip) >> shift) - lo``: ``flip`` turns signed integers viewed as
unsigned into offsets from the dtype's minimum, ``shift`` is OpenCV's bit
shift, ``lo`` the lowest bin the histograms hold. Histograms have one spare
bin past the last, where codes of uncounted pixels (NaN) land.

Like :mod:`histeq.backends.cpu`, kernels are serial, GIL-free and never use
``fastmath``: the blend must round exactly as OpenCV's float32 code does.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._threads import run_chunks

_jit = njit(cache=True, nogil=True)
#: Per-row helpers are inlined where they are called, so that constant
#: arguments at a call site specialize (and vectorize) their loops.
_inline = njit(cache=True, nogil=True, inline="always")

#: Histograms of up to this many bins are counted in four interleaved copies.
_SPREAD_MAX_BINS = 4096
#: The blend walks whole rows while the pair tables one row of a tile block
#: reads stay under this size, else one x run at a time (measured: 65536-bin
#: tables gain from x runs, 15000-bin ones lose).
_BLOCK_TABLE_BYTES = 1 << 19


@_inline
def _count_span(codes, pz, py, flip, shift, lo, sub, g, ways, first, stop):
    # Count codes[pz, py, first:stop] into sub[g] (ways interleaved copies of
    # the bins: pixel i into copy i % ways). Helpers index whole arrays (views
    # would cost reference counts); unsigned indices need no wraparound code.
    bins = np.uint64(sub.shape[1] // ways)
    mask = np.uint64(ways - 1)
    for i in range(np.uint64(first), np.uint64(stop)):
        b = np.uint64(((codes[pz, py, i] ^ flip) >> shift) - lo)
        sub[g, (i & mask) * bins + b] += 1


@_inline
def _count_row(codes, pz, py, flip, shift, lo, feed, first, stop, sub, g, ways):
    # Count padded positions first .. stop of row (pz, py) into sub[g]: the
    # positions inside the row directly, those past its end through feed.
    inside = min(stop, codes.shape[2])
    _count_span(codes, pz, py, flip, shift, lo, sub, g, ways, first, max(first, inside))
    for p in range(max(first, inside), stop):
        _count_span(codes, pz, py, flip, shift, lo, sub, g, ways, feed[p], feed[p] + 1)


@_jit
def _count_tiles(codes, flip, shift, lo, z, y, x, hist, begin, end):
    # Histograms of tile rows begin .. end (a tile row: fixed z and y tile).
    # z, y, x: (tiles, length, feed) per axis; hist (zt * yt * xt, bins).
    # Rows are read through feed; only the x axis distinguishes the padding.
    _, zlen, zfeed = z
    yt, ylen, yfeed = y
    xt, xlen, xfeed = x
    bins = hist.shape[1]
    ways = 4 if bins <= _SPREAD_MAX_BINS else 1
    plain = ways == 4 and flip == 0 and shift == 0 and lo == 0
    # All x tiles of a row at once: rows stream through (measured faster than
    # tile by tile, also for large histograms). Small histograms are counted
    # in four interleaved copies, summed at the end; large ones in place.
    spread = np.zeros((xt if ways == 4 else 0, ways * bins), dtype=hist.dtype)
    for row_of_tiles in range(begin, end):
        tz = row_of_tiles // yt
        ty = row_of_tiles % yt
        spread[...] = 0
        for pz in range(tz * zlen, (tz + 1) * zlen):
            sz = zfeed[pz]
            for py in range(ty * ylen, (ty + 1) * ylen):
                sy = yfeed[py]
                for tx in range(xt):
                    first = tx * xlen
                    if plain:  # constant arguments: the compiler specializes the loop
                        _count_row(codes, sz, sy, 0, 0, 0, xfeed, first, first + xlen, spread, tx, 4)
                    elif ways == 4:
                        _count_row(codes, sz, sy, flip, shift, lo, xfeed, first, first + xlen, spread, tx, 4)
                    else:
                        tile = row_of_tiles * xt + tx
                        _count_row(codes, sz, sy, flip, shift, lo, xfeed, first, first + xlen, hist, tile, 1)
        if ways == 4:
            for tx in range(xt):
                for w in range(ways):
                    hist[row_of_tiles * xt + tx] += spread[tx, w * bins : (w + 1) * bins]


def count_tiles(codes, flip, shift, lo, axes, bins):
    """Histograms of every tile: ``(z tiles * y tiles, x tiles, bins + 1)``
    (the last bin holds uncounted codes), in the narrowest counter that holds
    a whole tile (:func:`count_dtype`).

    ``axes``: the three :class:`histeq._tiles.AxisTiles` of ``codes``' axes.
    """
    z, y, x = ((a.tiles, a.length, a.feed) for a in axes)
    area = z[1] * y[1] * x[1]
    hist = np.zeros((z[0] * y[0], x[0], bins + 1), dtype=count_dtype(area))
    flat = hist.reshape(-1, bins + 1)
    run_chunks(_count_tiles, z[0] * y[0], codes, flip, shift, lo, z, y, x, flat, grain=1 << 20)
    return hist


def count_dtype(area: int) -> np.dtype:
    """Counters for tiles of ``area`` pixels: uint16 below 2**16 (half the
    cache footprint of large histograms of small tiles), int32 below 2**31,
    else int64."""
    if area < 2**16:
        return np.dtype(np.uint16)
    return np.dtype(np.int32 if area < 2**31 else np.int64)


@_jit
def _scatter(lut, pairs, row, segment, slot):
    # pairs[row, segment, :n, slot] = lut, as a plain loop.
    for i in range(np.uint64(lut.shape[0])):
        pairs[row, segment, i, slot] = lut[i]


@_jit
def _opencv_luts(hist, nbins, lo, limit, scale, top, curve, dest, pairs, begin, end):
    # OpenCV's clip, redistribution and LUT for the tiles begin .. end of
    # hist (tiles, n + 1), which counts bins lo .. lo + n - 1 of nbins.
    # Each tile's LUT goes to its slots dest[x tile] of the pair tables.
    xt = hist.shape[0] // pairs.shape[0]
    n = hist.shape[1] - 1
    cdf = np.empty(n, dtype=np.int64)
    lut = np.empty(n, dtype=np.uint16)
    for t in range(begin, end):
        h = hist[t]
        where = dest[t % xt]
        batch = 0
        residual = 0
        step = 1
        if limit > 0:
            excess = 0
            for i in range(n):
                if h[i] > limit:
                    excess += np.int64(h[i]) - limit
            batch = excess // nbins
            residual = excess - batch * nbins
            if residual > 0:
                step = max(nbins // residual, 1)
        # Redistributed counts of the bins below lo: batch each, plus one for
        # each residual bin 0, step, 2 * step, ... below lo.
        given = min(residual, (lo + step - 1) // step)
        total = lo * batch + given
        next_bump = given * step - lo  # offset of the next residual bin
        for i in range(n):
            count = np.int64(h[i])  # histograms may count in uint16
            if limit > 0:
                count = min(count, limit) + batch
                if i == next_bump and given < residual:
                    count += 1
                    given += 1
                    next_bump += step
            total += count
            cdf[i] = total
        if curve.shape[0]:  # a target distribution: level of each cdf value
            for i in range(n):
                lut[i] = curve[cdf[i]]
        else:
            for i in range(n):
                lut[i] = np.uint16(min(np.rint(np.float32(cdf[i]) * scale), top))
        for k in range(where.shape[0]):
            if where[k] >= 0:
                _scatter(lut, pairs, t // xt, where[k] >> 1, where[k] & 1)


def opencv_luts(hist, nbins, lo, limit, scale, top, pairing, curve=None):
    """OpenCV's per-tile LUTs (levels ``0 .. top``) from ``hist``, written as
    pair tables (see :class:`Pairing`): uint32 ``(tile rows, segments, bins)``.

    ``limit``: clip limit in pixels per bin (0: no clipping); ``scale``:
    float32 ``top / tile area``; ``curve``: optional uint16 levels of each
    cdf value ``0 .. tile area`` (a target distribution) instead of OpenCV's
    ``round(cdf * scale)``.
    """
    curve = np.empty(0, np.uint16) if curve is None else curve
    rows, xt, n = hist.shape[0], hist.shape[1], hist.shape[2] - 1
    pairs = np.empty((rows, pairing.segments, n + 1, 2), dtype=np.uint16)
    pairs[:, :, n] = 0xFFFF  # the spare bin of uncounted codes: UNCOUNTED
    flat = hist.reshape(rows * xt, n + 1)
    run_chunks(
        _opencv_luts,
        rows * xt,
        flat,
        nbins,
        lo,
        limit,
        np.float32(scale),
        np.float32(top),
        curve,
        pairing.dest,
        pairs,
        grain=4 * n,
    )
    return pairs.view(np.uint32)[..., 0]


class Pairing:
    """How LUTs are laid out for the blend: columns fall into segments that
    blend the same two x tiles, and for each tile row and segment the two
    tiles' LUTs are interleaved: ``pairs[row, segment, bin]`` holds the low
    tile's level in its lower 16 bits and the high tile's level in its upper
    16 bits, so one 4-byte load fetches both.

    Attributes: ``starts`` (segments + 1,) int64 column where each segment
    starts (and the end); ``segments``; ``dest`` (x tiles, 4) int64: the flat
    slots ``2 * segment + (0 low | 1 high)`` each tile's LUT goes to, -1 unused.
    """

    def __init__(self, low: np.ndarray, high: np.ndarray, tiles: int) -> None:
        self.starts = runs(low, high)
        self.segments = self.starts.shape[0] - 1
        self.dest = np.full((tiles, 4), -1, dtype=np.int64)
        used = np.zeros(tiles, dtype=np.int64)
        for segment, first in enumerate(self.starts[:-1]):
            for slot, tile in enumerate((low[first], high[first])):
                self.dest[tile, used[tile]] = 2 * segment + slot
                used[tile] += 1


@_inline
def _gather_pairs(codes, pz, py, flip, shift, lo, pairs, row1, row2, s, first, stop, g, t):
    # g[t, i] = pairs[row1, s, bin], g[t + 1, i] = pairs[row2, s, bin] for the
    # bin of codes[pz, py, first + i]: a scalar loop of loads. Helpers index
    # whole arrays: views would cost reference counts.
    for i in range(np.uint64(stop - first)):
        b = np.uint64(((codes[pz, py, np.uint64(first) + i] ^ flip) >> shift) - lo)
        g[t, i] = pairs[row1, s, b]
        g[t + 1, i] = pairs[row2, s, b]


#: A pair-table entry that marks uncounted codes (NaN): never a real pair,
#: since float images have at most 65535 bins (levels up to 65534).
UNCOUNTED = np.uint32(0xFFFFFFFF)


@_jit
def _level(pair, high):
    # One of the two uint16 levels of a pair, as float32 (exact).
    return np.float32(np.int32((pair >> np.uint32(16)) if high else (pair & np.uint32(0xFFFF))))


@_inline
def _blend_pairs(g, depth, xw0, xw1, ya1, ya, za1, za, top, shift, flip, fraction, out, pz, py, first, stop):
    # out[pz, py, first:stop] from the gathered pairs g[0], g[1] (the nearer
    # z tile layer's upper and lower tile rows) and, for depth 2, g[2], g[3]:
    # OpenCV's float32 blend ((L11 xa1 + L12 xa) ya1 + (L21 xa1 + L22 xa) ya),
    # and in 3-D the same on the far layer, weighted by za1 and za. Written as
    # levels (rounded half to even, shifted back) or, with ``fraction``, as
    # value / top (NaN for uncounted codes). No data-dependent loads: vectorizes.
    for i in range(np.uint64(stop - first)):
        px = np.uint64(first) + i
        xa1 = xw0[px]
        xa = xw1[px]
        value = (_level(g[0, i], False) * xa1 + _level(g[0, i], True) * xa) * ya1 + (
            _level(g[1, i], False) * xa1 + _level(g[1, i], True) * xa
        ) * ya
        if depth == 2:
            far = (_level(g[2, i], False) * xa1 + _level(g[2, i], True) * xa) * ya1 + (
                _level(g[3, i], False) * xa1 + _level(g[3, i], True) * xa
            ) * ya
            value = value * za1 + far * za
        if fraction:
            out[pz, py, px] = np.nan if g[0, i] == UNCOUNTED else value / top
        else:
            out[pz, py, px] = (np.int32(min(np.rint(value), top)) << shift) ^ flip


@_inline
def _blend_specialized(
    g, depth, plain, fraction, xw0, xw1, ya1, ya, za1, za, top, shift, flip, out, pz, py, first, stop
):
    # _blend_pairs with constant depth, output kind and (when plain) shift
    # and flip at each call site: the compiler specializes each loop.
    if fraction:
        if depth == 1:
            _blend_pairs(g, 1, xw0, xw1, ya1, ya, za1, za, top, 0, 0, True, out, pz, py, first, stop)
        else:
            _blend_pairs(g, 2, xw0, xw1, ya1, ya, za1, za, top, 0, 0, True, out, pz, py, first, stop)
    elif plain:
        if depth == 1:
            _blend_pairs(g, 1, xw0, xw1, ya1, ya, za1, za, top, 0, 0, False, out, pz, py, first, stop)
        else:
            _blend_pairs(g, 2, xw0, xw1, ya1, ya, za1, za, top, 0, 0, False, out, pz, py, first, stop)
    elif depth == 1:
        _blend_pairs(g, 1, xw0, xw1, ya1, ya, za1, za, top, shift, flip, False, out, pz, py, first, stop)
    else:
        _blend_pairs(g, 2, xw0, xw1, ya1, ya, za1, za, top, shift, flip, False, out, pz, py, first, stop)


@_jit
def _blend(codes, out, flip, shift, lo, top, fraction, pairs, z, y, x, zruns, yruns, xruns, begin, end):
    # Slices begin .. end of a volume (rows begin .. end of a 2-D image, one
    # slice), in blocks of equal (z, y) tile pairs. Per x run of a row, a
    # scalar loop gathers the pairs of the 2 (2-D) or 4 (3-D) tables, then
    # _blend_pairs blends them.
    zlow, zhigh, zw0, zw1 = z
    ylow, yhigh, yw0, yw1 = y
    xw0 = x[2]
    xw1 = x[3]
    volume = codes.shape[0] > 1
    z_begin, z_end = (begin, end) if volume else (0, 1)
    y_begin, y_end = (0, codes.shape[1]) if volume else (begin, end)
    y_tiles = pairs.shape[0] // (np.max(zhigh) + 1)
    depth = 2 if np.max(zhigh) > 0 else 1
    plain = flip == 0 and shift == 0 and lo == 0
    g = np.zeros((4, np.max(xruns[1:] - xruns[:-1])), dtype=np.uint32)
    # Rows stream best while a block's tables fit the cache comfortably;
    # beyond _BLOCK_TABLE_BYTES, one x run at a time over the block's rows.
    segments = xruns.shape[0] - 1
    group = segments if 2 * depth * pairs.shape[2] * 4 < _BLOCK_TABLE_BYTES else 1
    for zr in range(zruns.shape[0] - 1):
        z_first = max(zruns[zr], z_begin)
        z_stop = min(zruns[zr + 1], z_end)
        if z_first >= z_stop:
            continue
        for yr in range(yruns.shape[0] - 1):
            y_first = max(yruns[yr], y_begin)
            y_stop = min(yruns[yr + 1], y_end)
            if y_first >= y_stop:
                continue
            rows = (
                zlow[z_first] * y_tiles + ylow[y_first],
                zlow[z_first] * y_tiles + yhigh[y_first],
                zhigh[z_first] * y_tiles + ylow[y_first],
                zhigh[z_first] * y_tiles + yhigh[y_first],
            )
            for first_s in range(0, segments, group):
                for pz in range(z_first, z_stop):
                    for py in range(y_first, y_stop):
                        for s in range(first_s, first_s + group):
                            first = xruns[s]
                            stop = xruns[s + 1]
                            for t in range(0, 2 * depth, 2):
                                if plain:  # constant arguments: the compiler specializes the loop
                                    _gather_pairs(
                                        codes, pz, py, 0, 0, 0, pairs, rows[t], rows[t + 1], s, first, stop, g, t
                                    )
                                else:
                                    _gather_pairs(
                                        codes, pz, py, flip, shift, lo, pairs, rows[t], rows[t + 1], s, first, stop,
                                        g, t,
                                    )
                            _blend_specialized(
                                g, depth, plain, fraction, xw0, xw1, yw0[py], yw1[py], zw0[pz], zw1[pz], top, shift,
                                flip, out, pz, py, first, stop,
                            )


def runs(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Starts of the runs of equal ``(low, high)`` tile pairs along an axis,
    and the axis length: int64 ``(runs + 1,)``."""
    change = np.flatnonzero((low[1:] != low[:-1]) | (high[1:] != high[:-1])) + 1
    return np.concatenate(([0], change, [low.shape[0]])).astype(np.int64)


def blend(codes, out, flip, shift, lo, top, pairs, axes, pairing, fraction=False):
    """Write every pixel's blend of its neighbouring tiles' LUTs to ``out``.

    ``codes``, ``out``: 3-D ``(z, y, x)``; ``pairs`` from :func:`opencv_luts`;
    ``axes`` the three :class:`histeq._tiles.AxisTiles`. Integer ``out``
    receives levels; float ``out`` (``fraction``) receives ``value / top``.
    """
    z, y, x = ((a.low, a.high, a.weight_low, a.weight_high) for a in axes)
    zruns, yruns = runs(axes[0].low, axes[0].high), runs(axes[1].low, axes[1].high)
    outer = codes.shape[0] if codes.shape[0] > 1 else codes.shape[1]
    run_chunks(
        _blend,
        outer,
        codes,
        out,
        flip,
        shift,
        lo,
        np.float32(top),
        fraction,
        pairs,
        z,
        y,
        x,
        zruns,
        yruns,
        pairing.starts,
        grain=codes.size // outer,
    )
