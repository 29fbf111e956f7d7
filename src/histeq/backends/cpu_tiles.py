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
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from ._threads import run_chunks

_jit = njit(cache=True, nogil=True)
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


@_jit
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


@_jit
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


# --- blend ---------------------------------------------------------------------


#: A quad's lower half (its upper tile row's two levels) for uncounted codes.
_UNCOUNTED_PAIR = np.uint32(0xFFFFFFFF)
#: Columns of a block are blended in groups of x runs whose quads take at
#: most this many bytes: whole rows for 8-bit images and most 16-bit ones.
#: Measured: long rows matter most (a 256^3 volume's x runs are 32 pixels),
#: but the quads of 65536 bins are best blended a few x runs at a time.
_GROUP_QUAD_BYTES = 1 << 21


@_inline
def _build_quads(luts, t11, t12, t21, t22, lo, quads, k, s):
    # quads[k, s, lo + b]: the levels of tiles t11, t12 (the upper tile row's
    # low and high x tile) and t21, t22 (the lower row's) for bin lo + b, 16
    # bits each from the lowest, so that one 8-byte load fetches a pixel's
    # four levels. Indexed by bin, not by offset from lo: one subtraction
    # less per pixel (the entries below lo are never touched).
    for b in range(np.uint64(luts.shape[1])):
        quads[k, s, np.uint64(lo) + b] = (
            np.uint64(luts[t11, b])
            | (np.uint64(luts[t12, b]) << np.uint64(16))
            | (np.uint64(luts[t21, b]) << np.uint64(32))
            | (np.uint64(luts[t22, b]) << np.uint64(48))
        )


@intrinsic
def _float_bits(typingctx, value):
    # The bits of a float32 as a uint32 (no conversion).
    if value != types.float32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))

    return types.uint32(types.float32), codegen


#: 1.5 * 2**23: adding it to a float32 in [0, 2**22) rounds the sum to an
#: integer, half to even (the FPU's default mode, as ``np.rint`` uses), which
#: the sum's low mantissa bits then hold.
_ROUNDER = np.float32(12582912.0)


@_jit
def _round_level(value):
    # np.rint(value) as an int32 for 0 <= value < 2**22: one add and one
    # integer subtraction instead of a round and a conversion (a blend
    # spends more on these than on its arithmetic).
    return np.int32(_float_bits(value + _ROUNDER) - _float_bits(_ROUNDER))


@_jit
def _level(pair, high):
    # One of the two uint16 levels of a pair, as float32 (exact).
    return np.float32(np.int32((pair >> np.uint32(16)) if high else (pair & np.uint32(0xFFFF))))


@_inline
def _layer(g32, k, j, xa1, xa, ya1, ya):
    # OpenCV's (L11 xa1 + L12 xa) ya1 + (L21 xa1 + L22 xa) ya, in its order,
    # on the quad g32[k, j : j + 2] (pairs of the upper and lower tile row).
    upper = g32[k, j]
    lower = g32[k, j + np.uint64(1)]
    return (_level(upper, False) * xa1 + _level(upper, True) * xa) * ya1 + (
        _level(lower, False) * xa1 + _level(lower, True) * xa
    ) * ya


@_inline
def _row(
    codes,
    pz,
    py,
    flip,
    shift,
    quads,
    near,
    far,
    xruns,
    s0,
    s1,
    g,
    g32,
    depth,
    xw0,
    xw1,
    ya1,
    ya,
    za1,
    za,
    top,
    fraction,
    out,
):
    # out[pz, py] over x runs s0 .. s1. Per run, a scalar loop of loads
    # gathers each pixel's quad of the nearer z tile layer (and, for depth 2,
    # the farther one) into g; then one loop without data-dependent loads,
    # which vectorizes, does OpenCV's float32 blend in its order (in 3-D the
    # same on the far layer, weighted by za1 and za) and writes levels
    # (rounded half to even, shifted back) or, with ``fraction``, value / top
    # (NaN for uncounted codes). Helpers index whole arrays: views would cost
    # reference counts.
    start = np.uint64(xruns[s0])
    for s in range(s0, s1):
        first = np.uint64(xruns[s])
        k = np.uint64(s - s0)
        for i in range(first - start, np.uint64(xruns[s + 1]) - start):
            b = np.uint64((codes[pz, py, start + i] ^ flip) >> shift)
            g[0, i] = quads[near, k, b]
            if depth == 2:
                g[1, i] = quads[far, k, b]
    for i in range(np.uint64(xruns[s1]) - start):
        px = start + i
        xa1 = xw0[px]
        xa = xw1[px]
        value = _layer(g32, 0, 2 * i, xa1, xa, ya1, ya)
        if depth == 2:
            value = value * za1 + _layer(g32, 1, 2 * i, xa1, xa, ya1, ya) * za
        if fraction:
            out[pz, py, px] = np.nan if g32[0, 2 * i] == _UNCOUNTED_PAIR else value / top
        else:  # value <= top * (1 + 1e-6): rounds to at most top, no clamp
            out[pz, py, px] = (_round_level(value) << shift) ^ flip


@_inline
def _row_specialized(
    codes,
    pz,
    py,
    flip,
    shift,
    quads,
    near,
    far,
    xruns,
    s0,
    s1,
    g,
    g32,
    depth,
    plain,
    fraction,
    xw0,
    xw1,
    ya1,
    ya,
    za1,
    za,
    top,
    out,
):
    # _row with constant depth, output kind and (when plain) flip and shift
    # at each call site: the compiler specializes each loop. Fractions come
    # from float codes, which are neither flipped nor shifted.
    if fraction:
        if depth == 1:
            _row(
                codes,
                pz,
                py,
                0,
                0,
                quads,
                near,
                far,
                xruns,
                s0,
                s1,
                g,
                g32,
                1,
                xw0,
                xw1,
                ya1,
                ya,
                za1,
                za,
                top,
                True,
                out,
            )
        else:
            _row(
                codes,
                pz,
                py,
                0,
                0,
                quads,
                near,
                far,
                xruns,
                s0,
                s1,
                g,
                g32,
                2,
                xw0,
                xw1,
                ya1,
                ya,
                za1,
                za,
                top,
                True,
                out,
            )
    elif plain:
        if depth == 1:
            _row(
                codes,
                pz,
                py,
                0,
                0,
                quads,
                near,
                far,
                xruns,
                s0,
                s1,
                g,
                g32,
                1,
                xw0,
                xw1,
                ya1,
                ya,
                za1,
                za,
                top,
                False,
                out,
            )
        else:
            _row(
                codes,
                pz,
                py,
                0,
                0,
                quads,
                near,
                far,
                xruns,
                s0,
                s1,
                g,
                g32,
                2,
                xw0,
                xw1,
                ya1,
                ya,
                za1,
                za,
                top,
                False,
                out,
            )
    elif depth == 1:
        _row(
            codes,
            pz,
            py,
            flip,
            shift,
            quads,
            near,
            far,
            xruns,
            s0,
            s1,
            g,
            g32,
            1,
            xw0,
            xw1,
            ya1,
            ya,
            za1,
            za,
            top,
            False,
            out,
        )
    else:
        _row(
            codes,
            pz,
            py,
            flip,
            shift,
            quads,
            near,
            far,
            xruns,
            s0,
            s1,
            g,
            g32,
            2,
            xw0,
            xw1,
            ya1,
            ya,
            za1,
            za,
            top,
            False,
            out,
        )


@_jit
def _blend(codes, out, flip, shift, lo, top, fraction, luts, tiles, z, y, x, zruns, yruns, xruns, scratch, begin, end):
    # Jobs begin .. end: job j blends the block of pixels in y run j // groups
    # and group j % groups of x runs (each run: pixels with the same two y and
    # two x tiles) through all z runs. Each z tile layer's quads are built
    # once per block: a z run's farther layer is the next run's nearer.
    zlow, zhigh, zw0, zw1 = z
    ylow, yhigh, yw0, yw1 = y
    xlow, xhigh, xw0, xw1 = x
    yt, xt = tiles
    quads, g = scratch  # one slot of quads and one row of g per z tile layer
    g32 = g.view(np.uint32)
    depth = quads.shape[0]
    held = np.empty(2, dtype=np.int64)  # the z tile layer each quads slot holds
    group = quads.shape[1]
    segments = xruns.shape[0] - 1
    groups = (segments + group - 1) // group
    plain = flip == 0 and shift == 0
    for job in range(begin, end):
        y_first = yruns[job // groups]
        y_stop = yruns[job // groups + 1]
        s0 = job % groups * group
        s1 = min(s0 + group, segments)
        upper = ylow[y_first] * xt
        lower = yhigh[y_first] * xt
        held[:] = -1
        for zr in range(zruns.shape[0] - 1):
            z_first = zruns[zr]
            z_stop = zruns[zr + 1]
            near = -1
            far = -1
            for layer in (zlow[z_first], zhigh[z_first]):
                k = 0 if held[0] == layer else 1 if held[1] == layer else -1
                if k < 0:  # build it where the other layer of this run is not
                    k = 1 if held[0] == zlow[z_first] or held[0] == zhigh[z_first] else 0
                    base = layer * yt * xt
                    for s in range(s0, s1):
                        t1 = xlow[xruns[s]]
                        t2 = xhigh[xruns[s]]
                        _build_quads(
                            luts,
                            base + upper + t1,
                            base + upper + t2,
                            base + lower + t1,
                            base + lower + t2,
                            lo,
                            quads,
                            k,
                            s - s0,
                        )
                    held[k] = layer
                if near < 0:
                    near = k
                far = k
            for pz in range(z_first, z_stop):
                for py in range(y_first, y_stop):
                    _row_specialized(
                        codes,
                        pz,
                        py,
                        flip,
                        shift,
                        quads,
                        near,
                        far,
                        xruns,
                        s0,
                        s1,
                        g,
                        g32,
                        depth,
                        plain,
                        fraction,
                        xw0,
                        xw1,
                        yw0[py],
                        yw1[py],
                        zw0[pz],
                        zw1[pz],
                        top,
                        out,
                    )


def blend(codes, out, flip, shift, lo, top, luts, axes, fraction=False):
    """Write every pixel's blend of its neighbouring tiles' LUTs to ``out``.

    ``codes``, ``out``: 3-D ``(z, y, x)``; ``luts`` from :func:`opencv_luts`;
    ``axes`` the three :class:`histeq._clahe.tiles.AxisTiles`. Integer ``out``
    receives levels; float ``out`` (``fraction``) receives ``value / top``.

    Work is split into blocks of rows that blend the same y tiles, and their
    columns into groups of x runs; each thread keeps the group's *quads* (a
    pixel's four levels of one z tile layer in 8 bytes, for every bin) for
    two z tile layers, and one row of gathered quads per layer.
    """
    z, y, x = ((a.low, a.high, a.weight_low, a.weight_high) for a in axes)
    zruns, yruns, xruns = (a.runs for a in axes)
    segments = xruns.shape[0] - 1
    depth = 2 if axes[0].high.max() > 0 else 1  # z tile layers a pixel blends
    group = max(1, min(segments, _GROUP_QUAD_BYTES // (depth * 8 * luts.shape[1])))
    group = -(-segments // -(-segments // group))  # as many groups, evened out
    jobs = (yruns.shape[0] - 1) * -(-segments // group)
    # Rows of gathered quads a little longer than the longest group: two rows
    # 4 KB apart would alias in the store buffer.
    row = int(np.max(xruns[group:] - xruns[:-group])) + 8 if group < segments else codes.shape[2] + 8

    def scratch():
        return np.empty((depth, group, lo + luts.shape[1]), np.uint64), np.empty((depth, row), np.uint64)

    run_chunks(
        _blend,
        jobs,
        codes,
        out,
        flip,
        shift,
        lo,
        np.float32(top),
        fraction,
        luts,
        (axes[1].tiles, axes[2].tiles),
        z,
        y,
        x,
        zruns,
        yruns,
        xruns,
        grain=codes.size // jobs,
        accumulator=scratch,
    )
