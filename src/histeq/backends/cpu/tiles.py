"""CPU kernels (numba) of tiled equalization (CLAHE): per-tile histograms,
the occupied range, and per-tile LUTs (counted and planned one tile row at a
time); the blend of neighbouring tiles' LUTs is in :mod:`.tile_blend`.

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

from .._threads import run_chunks
from .bins import jit

#: Per-row helpers are inlined where they are called, so that constant
#: arguments at a call site specialize (and vectorize) their loops.
_inline = njit(cache=True, nogil=True, inline="always")

#: Histograms of up to this many bins are counted in four interleaved copies.
_SPREAD_MAX_BINS = 4096
#: Rows stream through all x tiles of a tile row while their histograms fill
#: at most this many bytes (measured: faster for short tile rows, 3-D, and
#: small histograms); larger ones are counted tile by tile.
_STREAM_BYTES = 1 << 19


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


@jit
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

    ``axes``: the three :class:`histeq._clahe.tiles.AxisTiles` of ``codes``' axes.
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


# --- occupied range ------------------------------------------------------------


@jit
def _code_range(line, flip, start, stop):
    # In uint32 and with unsigned indices, the loop vectorizes (uint16 ^ uint16
    # types as uint64, which does not).
    lo = np.uint32(0xFFFFFFFF)
    hi = np.uint32(0)
    for i in range(np.uint64(start), np.uint64(stop)):
        v = np.uint32(line[i] ^ flip)
        lo = min(lo, v)
        hi = max(hi, v)
    return lo, hi


def code_range(codes: np.ndarray, flip: int) -> tuple[int, int]:
    """``(min, max)`` of ``codes ^ flip`` (a C-contiguous array of codes) in
    one pass on all threads (numpy's ``min`` and ``max`` make two, on one)."""
    line = codes.reshape(-1)
    chunks = run_chunks(_code_range, line.size, line, line.dtype.type(flip))
    return min(int(lo) for lo, _ in chunks), max(int(hi) for _, hi in chunks)


# --- LUTs ----------------------------------------------------------------------


#: The LUT entry of uncounted codes (NaN): never a level, since float images
#: have at most 65535 bins (levels up to 65534).
UNCOUNTED = np.uint16(0xFFFF)


@_inline
def _tile_lut(counts, totals, g, ways, nbins, lo, limit, scale, top, curve, cdf, luts, tile):
    # OpenCV's clip, redistribution and LUT of one tile into luts[tile], from
    # counts[g] (ways interleaved copies of the n + 1 bins lo .. lo + n - 1 of
    # nbins, the last the spare one) plus, if it holds any bins, totals[g]
    # (what earlier flushes moved out of counts); both are left zeroed for
    # the next tile. Loops of their own (a carried sum only where it must be)
    # vectorize.
    n = cdf.shape[0]
    stride = n + 1
    clip = cdf.dtype.type(limit)
    zero = cdf.dtype.type(0)
    excess = zero
    for i in range(n):
        count = cdf.dtype.type(counts[g, i])  # counters may be uint16
        counts[g, i] = 0
        for w in range(1, ways):
            count += counts[g, w * stride + i]
            counts[g, w * stride + i] = 0
        cdf[i] = count
    if totals.shape[1]:
        for i in range(n):
            cdf[i] += totals[g, i]
            totals[g, i] = 0
    for i in range(n):
        excess += max(cdf[i] - clip, zero)
    for w in range(ways):
        counts[g, w * stride + n] = 0
    total = zero
    if limit > 0:
        batch = cdf.dtype.type(excess // nbins)
        residual = excess - batch * nbins
        step = max(nbins // residual, 1) if residual > 0 else 1
        # Redistributed counts of the bins below lo: batch each, plus one for
        # each residual bin 0, step, 2 * step, ... below lo.
        given = min(residual, (lo + step - 1) // step)
        total += lo * batch + given
        for i in range(n):
            cdf[i] = min(cdf[i], clip) + batch
        first = given * step - lo  # offset of the next residual bin
        if first < n:
            for k in range(min(residual - given, (n - 1 - first) // step + 1)):
                cdf[first + k * step] += 1
    for i in range(n):
        total += cdf[i]
        cdf[i] = total
    if curve.shape[0]:  # a target distribution: level of each cdf value
        for i in range(n):
            luts[tile, i] = curve[cdf[i]]
    else:
        for i in range(n):
            luts[tile, i] = np.uint16(min(np.rint(np.float32(cdf[i]) * scale), top))
    luts[tile, n] = UNCOUNTED


@_inline
def _flush(counts, totals, together):
    # Move counts[:together] (uint16, one copy of the bins) into totals
    # before a counter could overflow.
    for g in range(together):
        for i in range(totals.shape[1]):
            totals[g, i] += counts[g, i]
            counts[g, i] = 0


@jit
def _opencv_luts(
    codes, flip, shift, lo, z, y, x, nbins, limit, scale, top, curve, flush_rows, luts, scratch, begin, end
):
    # Tile rows begin .. end (a tile row: fixed z and y tile): count, then
    # plan each tile while its histogram is in the cache. With one histogram
    # per x tile (counts.shape[0] > 1), rows stream through all x tiles at
    # once; with one, the tiles are counted one by one (large histograms).
    # Large histograms count in uint16 (half the cache footprint), moved into
    # totals before any counter could pass flush_rows rows of a tile.
    # z, y, x: (tiles, length, feed) per axis; rows are read through feed.
    _, zlen, zfeed = z
    yt, ylen, yfeed = y
    xt, xlen, xfeed = x
    counts, totals, cdf = scratch
    step = min(ylen, flush_rows)  # rows counted between checks for a flush
    ways = counts.shape[1] // (cdf.shape[0] + 1)
    plain = ways == 4 and flip == 0 and shift == 0 and lo == 0
    together = counts.shape[0]
    for row_of_tiles in range(begin, end):
        tz = row_of_tiles // yt
        ty = row_of_tiles % yt
        for first_tile in range(0, xt, together):
            pending = 0  # rows counted since the last flush
            for pz in range(tz * zlen, (tz + 1) * zlen):
                sz = zfeed[pz]
                for py0 in range(ty * ylen, (ty + 1) * ylen, step):
                    py1 = min(py0 + step, (ty + 1) * ylen)
                    if pending + py1 - py0 > flush_rows:  # large histograms only
                        _flush(counts, totals, together)
                        pending = 0
                    pending += py1 - py0
                    for py in range(py0, py1):
                        sy = yfeed[py]
                        for tx in range(first_tile, first_tile + together):
                            first = tx * xlen
                            g = tx - first_tile
                            if plain:  # constant arguments: the compiler specializes the loop
                                _count_row(codes, sz, sy, 0, 0, 0, xfeed, first, first + xlen, counts, g, 4)
                            elif ways == 4:
                                _count_row(codes, sz, sy, flip, shift, lo, xfeed, first, first + xlen, counts, g, 4)
                            elif flip == 0 and shift == 0:  # 16-bit images
                                _count_row(codes, sz, sy, 0, 0, lo, xfeed, first, first + xlen, counts, g, 1)
                            else:
                                _count_row(codes, sz, sy, flip, shift, lo, xfeed, first, first + xlen, counts, g, 1)
            for tx in range(first_tile, first_tile + together):
                tile = row_of_tiles * xt + tx
                g = tx - first_tile
                if ways == 4:
                    _tile_lut(counts, totals, g, 4, nbins, lo, limit, scale, top, curve, cdf, luts, tile)
                else:
                    _tile_lut(counts, totals, g, 1, nbins, lo, limit, scale, top, curve, cdf, luts, tile)


def opencv_luts(codes, flip, shift, lo, axes, n, nbins, limit, scale, top, curve=None):
    """OpenCV's LUT of every tile (levels ``0 .. top``): uint16 ``(tiles,
    n + 1)``, tiles in ``(z, y, x)`` order, entry ``b`` for bin ``lo + b`` of
    ``nbins``, the last entry :data:`UNCOUNTED`.

    Each tile row is counted and planned in one go (its histograms stay in
    the cache); large histograms count in uint16, emptied into wider
    counters before they could overflow. ``limit``: clip limit in pixels per
    bin (0: no clipping); ``scale``: float32 ``top / tile area``; ``curve``:
    optional uint16 levels of each cdf value ``0 .. tile area`` (a target
    distribution) instead of OpenCV's ``round(cdf * scale)``.
    """
    z, y, x = ((a.tiles, a.length, a.feed) for a in axes)
    area = z[1] * y[1] * x[1]
    ways = 4 if n + 1 <= _SPREAD_MAX_BINS else 1
    # Large histograms (one copy) count in uint16, flushed every flush_rows
    # rows of a tile (unless one row of a tile could overflow them); small
    # ones (in the fastest cache anyway) in the tile's own counter type,
    # which never needs a flush.
    counter = np.dtype(np.uint16) if ways == 1 and x[1] < 2**16 else count_dtype(area)
    flush_rows = 0xFFFF // x[1] if counter == np.uint16 else z[1] * y[1]
    together = x[0] if x[0] * ways * (n + 1) * counter.itemsize <= _STREAM_BYTES else 1
    wide = np.int32 if area < 2**31 else np.int64
    luts = np.empty((z[0] * y[0] * x[0], n + 1), dtype=np.uint16)

    def scratch():
        counts = np.zeros((together, ways * (n + 1)), counter)
        totals = np.zeros((together, n + 1 if flush_rows < z[1] * y[1] else 0), wide)
        return counts, totals, np.empty(n, wide)

    curve = np.empty(0, np.uint16) if curve is None else curve
    run_chunks(
        _opencv_luts,
        z[0] * y[0],
        codes,
        flip,
        shift,
        lo,
        z,
        y,
        x,
        nbins,
        limit,
        np.float32(scale),
        np.float32(top),
        curve,
        flush_rows,
        luts,
        grain=area * x[0],
        accumulator=scratch,
    )
    return luts


@jit
def _plan_tiles(counts, nbins, lo, limit, scale, top, curve, luts, cdf, begin, end):
    # Tiles begin .. end planned from their counts (one copy of the bins and
    # the spare one per row, zeroed on the way) by the plan of _opencv_luts.
    none = np.zeros((1, 0), cdf.dtype)
    for tile in range(begin, end):
        _tile_lut(counts, none, tile, 1, nbins, lo, limit, scale, top, curve, cdf, luts, tile)


def plan_tiles(counts, nbins, lo, limit, scale, top, curve=None):
    """The LUTs of :func:`opencv_luts` from histograms counted elsewhere
    (smoothed over video frames, ...): the same plan code, without counting.

    ``counts``: int64 ``(tiles, n + 1)``, bins ``lo .. lo + n - 1`` of
    ``nbins`` and a spare last column (ignored); no bin outside them may hold
    pixels. Overwritten (zeroed). Returns uint16 ``(tiles, n + 1)`` as
    :func:`opencv_luts`.
    """
    n = counts.shape[1] - 1
    luts = np.empty(counts.shape, dtype=np.uint16)
    curve = np.empty(0, np.uint16) if curve is None else curve
    run_chunks(
        _plan_tiles,
        counts.shape[0],
        counts,
        nbins,
        lo,
        limit,
        np.float32(scale),
        np.float32(top),
        curve,
        luts,
        grain=n + 1,
        accumulator=lambda: np.empty(n, np.int64),
    )
    return luts
