"""CPU kernel (numba) of CLAHE's blend: every pixel maps through the LUTs of
its 2, 4 or 8 nearest tiles, weighted by distance, in OpenCV's float32 order.

Codes and bins are those of :mod:`.tiles`. Each pixel fetches its four
levels of one z layer in one 8-byte load from a *quad* table built per block
of rows. Like every kernel here, serial, GIL-free and never ``fastmath``: the
blend must round exactly as OpenCV's float32 code does.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .._threads import run_chunks
from .bins import jit

#: Per-row helpers are inlined where they are called, so that constant
#: arguments at a call site specialize (and vectorize) their loops.
_inline = njit(cache=True, nogil=True, inline="always")

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


@jit
def _round_level(value):
    # np.rint(value) as an int32 for 0 <= value < 2**22: one add and one
    # integer subtraction instead of a round and a conversion (a blend
    # spends more on these than on its arithmetic).
    # numba @intrinsic called from jitted code: its stub's __call__ also counts typingctx
    return np.int32(_float_bits(value + _ROUNDER) - _float_bits(_ROUNDER))  # type: ignore[call-arg]


@jit
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


@jit
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


def blend(codes, out, flip, shift, lo, top, luts, axes, fraction=False, depth=None):
    """Write every pixel's blend of its neighbouring tiles' LUTs to ``out``.

    ``codes``, ``out``: 3-D ``(z, y, x)``; ``luts`` from :func:`opencv_luts`;
    ``axes`` the three :class:`histeq._clahe.tiles.AxisTiles`. Integer ``out``
    receives levels; float ``out`` (``fraction``) receives ``value / top``.

    Work is split into blocks of rows that blend the same y tiles, and their
    columns into groups of x runs; each thread keeps the group's *quads* (a
    pixel's four levels of one z tile layer in 8 bytes, for every bin) for
    two z tile layers, and one row of gathered quads per layer.

    ``depth``: the z tile layers a pixel blends (2: two, 1: one), by default
    2 where some pixel's two z tiles differ (1 for a 2-D image's lone slice
    and for a batch's slices, each its own tile). A part of an image (a Dask
    block: ``codes`` and ``axes`` sliced) passes the whole image's.
    """
    z, y, x = ((a.low, a.high, a.weight_low, a.weight_high) for a in axes)
    zruns, yruns, xruns = (a.runs for a in axes)
    segments = xruns.shape[0] - 1
    if depth is None:  # z tile layers a pixel blends
        depth = 2 if np.any(axes[0].high != axes[0].low) else 1
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
