"""A LUT on the luminance of 8-bit colour images in two passes: OpenCV's
YCrCb and Lab, counted while they are computed.

``equalize(rgb, color="ycrcb")`` and ``color="lab"`` on uint8 (method
"opencv", no mask) need the luminance's histogram, one LUT and OpenCV's two
conversions, so they run as two passes over the pixels instead of split,
count, map and merge:

1. **count**: each row's luminance is computed and counted while it is in
   L1 (pixel pairs into the thread's 65536-bin code table of :mod:`.count`,
   folded to 256 counts at the end). YCrCb writes Y into a plane; Lab writes
   each pixel's 8-bit L, a, b into ``out`` (an RGB image's size): its
   forward conversion is the expensive part (six table lookups a pixel),
   done once this way.
2. **map**: YCrCb reads R, B and Y again and converts back with the LUT's
   Y; Lab reads L, a, b from ``out`` and converts back with tables that
   hold the LUT: X of (L, a), Z of (L, b) and Y of L, for the mapped L
   (:func:`lab_tables`).

Where the CPU has AVX-512 BW and VBMI (:func:`.vbmi.available`) the rows
run in :mod:`.colour_simd`'s explicit vectors, 64 pixels a step, and only
their last few pixels here; elsewhere in the loops below, which LLVM
vectorizes itself: exact float32 (numba widens int32 arithmetic to int64,
half the lanes; float64 for Lab's inverse matrix) and table lookups 16 at
a time (:func:`_gather`; AVX2 gathers, single loads where a CPU has none).
Both reproduce the split / equalizeHist / merge path (and cv2) bit for bit.
Conventions (pixel lines ``(x, xf, xr, xs)``, planes, ``start .. stop``):
:mod:`.colour`.

Measured on this project's 2-core VM, 1920x1080, medians, one thread (two
threads): YCrCb count 1.3 ms (0.9) and map 1.05 ms (0.7) in AVX-512, 1.4
(1.0) and 2.2 ms (1.5) in the loops below; Lab count 4.2 ms (2.8) and map
5.5 ms (3.7), 6.9 (4.4) and 6.1 ms (4.2) in the loops. The four-step path
took 4.4 ms (YCrCb) and 19 ms (Lab) on one thread. Recomputing Y in the map
instead of reading the plane cost more than the plane's byte a pixel;
counting pairs interleaved with the vector steps ran slower than a row at a
time.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .._threads import run_chunks
from . import vbmi
from .bins import jit
from .colour import F, flat, fma, segment
from .colour_simd import STEP, back_steps, gather, lab_back_steps, lab_steps, y_steps
from .count import _code_tables

#: Inlined where called, so that constant pixel steps specialize their loops.
_inline = njit(cache=True, nogil=True, inline="always")

_Q = 1.0 / 16384
_Y_R, _Y_G, _Y_B = 4899 * _Q, 9617 * _Q, 1868 * _Q
#: Pixels per block of the loops below: the block's buffers stay in L1.
_BLOCK = 256
#: Lab's ``Lshift`` plus the rounding term: L = (296 fY + this) >> 15.
_L_OFFSET = -((16 * 255 * (1 << 15) + 50) // 100) + (1 << 14)


# ------------------------------------------------------------ counting


def _take_counts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # This thread's pair tables (count.py's, zeroed) and 256 counters for
    # pixels left without a partner.
    low, high = _code_tables.take()
    return low, high, np.zeros(256, np.int64)


def _fold_counts(tables: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    low, high, singles = tables
    return _code_tables.fold((low, high)) + singles


def _counted(kernel, n: int, *args) -> np.ndarray:
    # Run a counting kernel over n pixels on all threads: int64[256] counts.
    if n == 0:
        return np.zeros(256, np.int64)
    return sum(run_chunks(kernel, n, *args, accumulator=_take_counts, finish=_fold_counts))


@_inline
def _count_pairs(levels, k, low, high, singles):
    # Counts levels[0:k]: pairs of neighbours as one uint16 code (uint16
    # counts, a wrap carried into ``high``, whose last entry counts the
    # carries; see count.py), an odd last one on its own.
    carries = high.size - 1
    for j in range(k // 2):
        v = np.uintp(levels[2 * j]) | np.uintp(levels[2 * j + 1]) << np.uintp(8)
        count = np.uint16(low[v] + 1)
        low[v] = count
        if count == 0:
            high[v] += 1
            high[carries] += 1
    if k % 2:
        singles[levels[k - 1]] += 1


# ----------------------------------------------------- lookups, 16 at a time


@intrinsic
def _gather16_intrinsic(typingctx, table, index, out, n):
    # out[i] = table[index[i]] for i < n, a multiple of 16: 32-bit entries
    # and int32 indices at the addresses ``table``, ``index`` and ``out``.
    sig = types.void(types.uintp, types.uintp, types.uintp, types.intp)

    def codegen(context, builder, signature, args):
        table, index, out, n = args
        vector = ir.VectorType(ir.IntType(32), 16)
        with cgutils.for_range(builder, builder.udiv(n, ir.Constant(n.type, 16))) as loop:
            offset = builder.mul(loop.index, ir.Constant(n.type, 4 * 16))
            indices = builder.load(builder.inttoptr(builder.add(index, offset), vector.as_pointer()), align=4)
            entries = gather(builder, table, indices)
            builder.store(entries, builder.inttoptr(builder.add(out, offset), vector.as_pointer()), align=4)
        return context.get_dummy_value()

    return sig, codegen


#: Typed ``Any``: numba's stubs count an intrinsic's typing context as an argument.
_gather16: Any = _gather16_intrinsic


@_inline
def _gather(table, index, out, c, k):
    # out[c, i] = table[index[c, i]] for i < k: C-contiguous 32-bit arrays of
    # _BLOCK columns (int32 indices, all inside the table). Row c is reached
    # by its address: a view would cost reference counting per call.
    full = k // 16 * 16
    offset = 4 * c * _BLOCK
    _gather16(table.ctypes.data, index.ctypes.data + offset, out.ctypes.data + offset, full)
    for i in range(full, k):
        out[c, i] = table[index[c, i]]


# --------------------------------------------------------------- YCrCb


@jit
def _ycrcb_count(x, xf, xr, xs, red, plane, cols, tables, start, stop):
    # Y = DESCALE(4899 R + 9617 G + 1868 B, 14) into the plane (as
    # colour._ycrcb_split_bytes), each row's run counted while in L1.
    low, high, singles = tables
    kr = F(_Y_R) if red == 0 else F(_Y_B)  # coefficients in memory order
    kb = F(_Y_B) if red == 0 else F(_Y_R)
    half = F(0.5)

    def run(xs):
        p = start
        while p < stop:
            r, c0, n = segment(p, stop, cols)
            line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
            target = plane[p : p + n]
            for i in range(n):
                v = fma(F(line[xs * i]), kr, fma(F(line[xs * i + 1]), F(_Y_G), fma(F(line[xs * i + 2]), kb, half)))
                target[i] = np.uint8(v)  # truncation: floor of a positive value
            _count_pairs(target, n, low, high, singles)
            p += n

    if xs == 3:
        run(3)
    else:
        run(4)


@_inline
def _ycrcb_back(line, xs, red, old, new, target, os, k):
    # OpenCV's YCrCb -> RGB of (new Y, Cr and Cb of the pixel), Cr and Cb
    # from R, B and the old Y; colour._ycrcb_merge_bytes's exact float32.
    swap = red != 0
    zero = np.int32(0)
    top = np.int32(255)
    half = F(0.5)
    for i in range(k):
        s0 = F(line[xs * i])
        s2 = F(line[xs * i + 2])
        R = s2 if swap else s0
        B = s0 if swap else s2
        Y = F(old[i])
        cr = min(np.floor(fma(R - Y, F(11682 * _Q), half)), F(127.0))
        cb = np.floor(fma(B - Y, F(9241 * _Q), half))
        Y = F(new[i]) + half
        R = min(max(np.int32(fma(cr, F(22987 * _Q), Y)), zero), top)
        G = min(max(np.int32(fma(cb, F(-5636 * _Q), fma(cr, F(-11698 * _Q), Y))), zero), top)
        B = min(max(np.int32(fma(cb, F(29049 * _Q), Y)), zero), top)
        target[os * i] = np.uint8(B if swap else R)
        target[os * i + 1] = np.uint8(G)
        target[os * i + 2] = np.uint8(R if swap else B)


@_inline
def _ycrcb_map_run(x, xf, xr, xs, red, plane, lut, cols, out, of, orr, os, new, start, stop):
    # Pixels start..stop in blocks: the block's Y through the LUT, then back.
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
        target = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
        for b in range(0, n, _BLOCK):
            k = min(_BLOCK, n - b)
            old = plane[p + b : p + b + k]
            for i in range(k):
                new[i] = lut[old[i]]
            _ycrcb_back(line[xs * b :], xs, red, old, new, target[os * b :], os, k)
        p += n


@jit
def _ycrcb_map(x, xf, xr, xs, red, plane, lut, cols, out, of, orr, os, start, stop):
    new = np.empty(_BLOCK, np.uint8)
    if xs == 3:
        if os == 3:
            _ycrcb_map_run(x, xf, xr, 3, red, plane, lut, cols, out, of, orr, 3, new, start, stop)
        else:
            _ycrcb_map_run(x, xf, xr, 3, red, plane, lut, cols, out, of, orr, 4, new, start, stop)
    elif os == 3:
        _ycrcb_map_run(x, xf, xr, 4, red, plane, lut, cols, out, of, orr, 3, new, start, stop)
    else:
        _ycrcb_map_run(x, xf, xr, 4, red, plane, lut, cols, out, of, orr, 4, new, start, stop)


# AVX-512 (BW, VBMI): whole steps of 64 pixels in explicit vectors (colour_simd)
_Y_3R, _Y_3B, _Y_4R, _Y_4B = (y_steps(xs, red) for xs in (3, 4) for red in (0, 2))
_BACK = [back_steps(xs, os, red) for xs in (3, 4) for os in (3, 4) for red in (0, 2)]
_B_33R, _B_33B, _B_34R, _B_34B, _B_43R, _B_43B, _B_44R, _B_44B = _BACK


@jit
def _simd_steps(n, xs, os):
    # Whole 64-pixel steps of a run of n pixels: with 4-byte pixels the last
    # pixel's 4th byte may lie beyond the line, and is left to scalar code.
    return (n - 1 if xs == 4 or os == 4 else n) // STEP


@jit
def _ycrcb_count_simd(x, xf, xr, xs, red, plane, cols, tables, start, stop):
    # _ycrcb_count with Y in AVX-512 steps of 64 pixels.
    low, high, singles = tables
    kr = F(_Y_R) if red == 0 else F(_Y_B)
    kb = F(_Y_B) if red == 0 else F(_Y_R)
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
        target = plane[p : p + n]
        steps = _simd_steps(n, xs, xs)
        if xs == 3:
            if red == 0:
                _Y_3R(line.ctypes.data, target.ctypes.data, steps)
            else:
                _Y_3B(line.ctypes.data, target.ctypes.data, steps)
        elif red == 0:
            _Y_4R(line.ctypes.data, target.ctypes.data, steps)
        else:
            _Y_4B(line.ctypes.data, target.ctypes.data, steps)
        for i in range(STEP * steps, n):
            v = fma(F(line[xs * i]), kr, fma(F(line[xs * i + 1]), F(_Y_G), fma(F(line[xs * i + 2]), kb, F(0.5))))
            target[i] = np.uint8(v)
        _count_pairs(target, n, low, high, singles)
        p += n


@jit
def _ycrcb_map_simd(x, xf, xr, xs, red, plane, lut, cols, out, of, orr, os, start, stop):
    # _ycrcb_map in AVX-512 steps of 64 pixels, the LUT applied in registers.
    new = np.empty(STEP, np.uint8)
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
        target = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
        old = plane[p : p + n]
        steps = _simd_steps(n, xs, os)
        args = (line.ctypes.data, old.ctypes.data, lut.ctypes.data, target.ctypes.data, steps)
        if xs == 3:
            if os == 3:
                if red == 0:
                    _B_33R(*args)
                else:
                    _B_33B(*args)
            elif red == 0:
                _B_34R(*args)
            else:
                _B_34B(*args)
        elif os == 3:
            if red == 0:
                _B_43R(*args)
            else:
                _B_43B(*args)
        elif red == 0:
            _B_44R(*args)
        else:
            _B_44B(*args)
        done = STEP * steps
        if done < n:
            rest = old[done:]
            for i in range(n - done):
                new[i] = lut[rest[i]]
            _ycrcb_back(line[xs * done :], xs, red, rest, new, target[os * done :], os, n - done)
        p += n


def ycrcb_count(lines: tuple, plane: np.ndarray, red: int) -> np.ndarray:
    """OpenCV's Y of every pixel of a uint8 image into ``plane`` (2-D,
    C-contiguous); returns its int64 histogram (256 counts)."""
    rows, cols = plane.shape
    kernel = _ycrcb_count_simd if vbmi.available() else _ycrcb_count
    return _counted(kernel, rows * cols, *lines, red, flat(plane), cols)


def ycrcb_map(lines: tuple, plane: np.ndarray, lut: np.ndarray, out_lines: tuple, red: int) -> None:
    """``out`` = OpenCV's YCrCb -> RGB of (``lut[plane]``, Cr and Cb of the
    image), ``plane`` as :func:`ycrcb_count` wrote it; ``lut``: uint8[256],
    contiguous. ``out`` may be the image."""
    rows, cols = plane.shape
    if rows * cols:
        kernel = _ycrcb_map_simd if vbmi.available() else _ycrcb_map
        run_chunks(kernel, rows * cols, *lines, red, flat(plane), lut, cols, *out_lines)


# ----------------------------------------------------------------- Lab


@_inline
def _xyz_index(m0, m1, m2, g0, g1, g2):
    # An XYZ table index: DESCALE(row . rgb, 12) of linear RGB * 2040, in
    # exact float32 (positive: truncation is floor).
    return np.int32(fma(m0, g0, fma(m1, g1, fma(m2, g2, F(2048.0)))) * F(1.0 / 4096))


@jit
def _lab_count(x, xf, xr, xs, red, gamma, cbrt, m, cols, out, of, orr, os, tables, start, stop):
    # OpenCV's RGB2Lab_b: L, a, b of every pixel into ``out``, L counted.
    # Exact in float32, as colour_lab._lab_merge_bytes.
    low, high, singles = tables
    blue = 2 - red
    m0, m1, m2 = F(m[red]), F(m[1]), F(m[blue])  # columns in memory order
    m3, m4, m5 = F(m[3 + red]), F(m[4]), F(m[3 + blue])
    m6, m7, m8 = F(m[6 + red]), F(m[7]), F(m[6 + blue])
    index = np.empty((3, _BLOCK), np.int32)
    g = np.empty((3, _BLOCK), np.float32)
    levels = np.empty(_BLOCK, np.uint8)

    def run(xs, os):
        p = start
        while p < stop:
            r, c0, n = segment(p, stop, cols)
            row = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
            row_out = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
            for b in range(0, n, _BLOCK):
                k = min(_BLOCK, n - b)
                line = row[xs * b : xs * (b + k)]
                target = row_out[os * b : os * (b + k)]
                for i in range(k):  # samples in memory order
                    index[0, i] = line[xs * i]
                    index[1, i] = line[xs * i + 1]
                    index[2, i] = line[xs * i + 2]
                for c in range(3):  # linear RGB * 2040
                    _gather(gamma, index, g, c, k)
                for i in range(k):  # XYZ table indices
                    g0 = g[0, i]
                    g1 = g[1, i]
                    g2 = g[2, i]
                    index[0, i] = _xyz_index(m0, m1, m2, g0, g1, g2)
                    index[1, i] = _xyz_index(m3, m4, m5, g0, g1, g2)
                    index[2, i] = _xyz_index(m6, m7, m8, g0, g1, g2)
                for c in range(3):  # f(X), f(Y), f(Z) * 2**15
                    _gather(cbrt, index, g, c, k)
                for i in range(k):
                    # L = (296 fY + Lshift + 2**14) >> 15, clamped: integers
                    # below 2**24, exact in float32 (truncation is floor above
                    # 0); a and b as colour_lab._lab_merge_bytes
                    fy = g[1, i]
                    L = min(np.int32(max(fma(fy, F(296.0), F(_L_OFFSET)), F(0.0)) * F(1.0 / 32768)), np.int32(255))
                    a = min(max(fma(g[0, i] - fy, F(500.0 / 32768), F(128.5)), F(0.0)), F(255.5))
                    b_ = min(max(fma(fy - g[2, i], F(200.0 / 32768), F(128.5)), F(0.0)), F(255.5))
                    levels[i] = np.uint8(L)
                    target[os * i] = np.uint8(L)
                    target[os * i + 1] = np.uint8(np.int32(a))
                    target[os * i + 2] = np.uint8(np.int32(b_))
                _count_pairs(levels, k, low, high, singles)
            p += n

    if xs == 3:
        if os == 3:
            run(3, 3)
        else:
            run(3, 4)
    elif os == 3:
        run(4, 3)
    else:
        run(4, 4)


@jit
def _lab_map(red, x_of_la, y_of_l, z_of_lb, m_inv, inv_gamma, cols, out, of, orr, os, start, stop):
    # OpenCV's Lab2RGBinteger of the L, a, b in ``out``, in place; the
    # tables already hold the mapped L (lab_tables).
    blue = 2 - red
    n0, n1, n2 = np.float64(m_inv[3 * red]), np.float64(m_inv[3 * red + 1]), np.float64(m_inv[3 * red + 2])
    n3, n4, n5 = np.float64(m_inv[3]), np.float64(m_inv[4]), np.float64(m_inv[5])
    n6, n7, n8 = np.float64(m_inv[3 * blue]), np.float64(m_inv[3 * blue + 1]), np.float64(m_inv[3 * blue + 2])
    index = np.empty((3, _BLOCK), np.int32)
    xyz = np.empty((3, _BLOCK), np.int32)
    q = 1.0 / 16384
    top = np.int32(4095)

    def run(os):
        p = start
        while p < stop:
            r, c0, n = segment(p, stop, cols)
            row = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
            for b in range(0, n, _BLOCK):
                k = min(_BLOCK, n - b)
                target = row[os * b : os * (b + k)]
                for i in range(k):  # X, Y, Z * 2**14 of the mapped L (indices from bytes: faster than gathers)
                    L = np.uintp(target[os * i])
                    xyz[0, i] = x_of_la[L << np.uintp(8) | np.uintp(target[os * i + 1])]
                    xyz[1, i] = y_of_l[L]
                    xyz[2, i] = z_of_lb[L << np.uintp(8) | np.uintp(target[os * i + 2])]
                for i in range(k):
                    # linear RGB * 4096: DESCALE(M_inv . xyz, 14), clamped
                    # (exact in float64; truncation is floor above 0)
                    X = np.float64(xyz[0, i])
                    Y = np.float64(xyz[1, i])
                    Z = np.float64(xyz[2, i])
                    index[0, i] = min(np.int32(max(fma(n0, X, fma(n1, Y, fma(n2, Z, 8192.0))), 0.0) * q), top)
                    index[1, i] = min(np.int32(max(fma(n3, X, fma(n4, Y, fma(n5, Z, 8192.0))), 0.0) * q), top)
                    index[2, i] = min(np.int32(max(fma(n6, X, fma(n7, Y, fma(n8, Z, 8192.0))), 0.0) * q), top)
                for c in range(3):  # sRGB bytes
                    _gather(inv_gamma, index, xyz, c, k)
                for i in range(k):  # in memory order
                    target[os * i] = np.uint8(xyz[0, i])
                    target[os * i + 1] = np.uint8(xyz[1, i])
                    target[os * i + 2] = np.uint8(xyz[2, i])
            p += n

    if os == 3:
        run(3)
    else:
        run(4)


_LAB_33, _LAB_34, _LAB_43, _LAB_44 = (lab_steps(xs, os) for xs in (3, 4) for os in (3, 4))


@jit
def _lab_count_simd(x, xf, xr, xs, red, simd, gamma, cbrt, m, cols, out, of, orr, os, tables, start, stop):
    # _lab_count in AVX-512 steps of 64 pixels (colour_simd.lab_steps; its
    # tables: ``simd``), the rest of each row in integers.
    low, high, singles = tables
    gamma_bytes, coefficients, cbrt_int = simd
    blue = 2 - red
    m0, m1, m2 = m[red], m[1], m[blue]  # columns in memory order
    m3, m4, m5 = m[3 + red], m[4], m[3 + blue]
    m6, m7, m8 = m[6 + red], m[7], m[6 + blue]
    levels = np.empty(min(cols, stop - start), np.uint8)
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        line = x[xf + r * xr + c0 * xs : xf + r * xr + (c0 + n) * xs]
        target = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
        steps = _simd_steps(n, xs, os)
        args = (
            line.ctypes.data,
            gamma_bytes.ctypes.data,
            coefficients.ctypes.data,
            cbrt_int.ctypes.data,
            target.ctypes.data,
            levels.ctypes.data,
            steps,
        )
        if xs == 3:
            if os == 3:
                _LAB_33(*args)
            else:
                _LAB_34(*args)
        elif os == 3:
            _LAB_43(*args)
        else:
            _LAB_44(*args)
        for i in range(STEP * steps, n):  # RGB2Lab_b in integers
            g0 = np.int64(gamma[line[xs * i]])
            g1 = np.int64(gamma[line[xs * i + 1]])
            g2 = np.int64(gamma[line[xs * i + 2]])
            fx = np.int64(cbrt[(m0 * g0 + m1 * g1 + m2 * g2 + 2048) >> 12])
            fy = np.int64(cbrt[(m3 * g0 + m4 * g1 + m5 * g2 + 2048) >> 12])
            fz = np.int64(cbrt[(m6 * g0 + m7 * g1 + m8 * g2 + 2048) >> 12])
            L = min(max((296 * fy + _L_OFFSET) >> 15, 0), 255)
            levels[i] = L
            target[os * i] = L
            target[os * i + 1] = min(max((500 * (fx - fy) + (128 << 15) + (1 << 14)) >> 15, 0), 255)
            target[os * i + 2] = min(max((200 * (fy - fz) + (128 << 15) + (1 << 14)) >> 15, 0), 255)
        _count_pairs(levels, n, low, high, singles)
        p += n


@functools.cache
def _lab_coefficients(red: int, matrix: tuple[int, ...]) -> np.ndarray:
    # lab_steps's int16 vectors: for the rows X, Y, Z the pairs (first,
    # second sample's coefficient) and (third's, 0), samples in memory order.
    columns = (red, 1, 2 - red)
    rows = []
    for r in range(3):
        row = [matrix[3 * r + c] for c in columns]
        rows += [row[:2] * 16, [row[2], 0] * 16]
    return np.array(rows, np.int16)


_LAB_BACK_3, _LAB_BACK_4 = lab_back_steps(3), lab_back_steps(4)


@jit
def _lab_map_simd(red, x_of_la, y_of_l, z_of_lb, m_inv, inv_gamma, coefficients, cols, out, of, orr, os, start, stop):
    # _lab_map in AVX-512 steps of 64 pixels (colour_simd.lab_back_steps;
    # ``coefficients``: its matrix), the rest of each row in integers.
    blue = 2 - red
    n0, n1, n2 = m_inv[3 * red], m_inv[3 * red + 1], m_inv[3 * red + 2]
    n3, n4, n5 = m_inv[3], m_inv[4], m_inv[5]
    n6, n7, n8 = m_inv[3 * blue], m_inv[3 * blue + 1], m_inv[3 * blue + 2]
    p = start
    while p < stop:
        r, c0, n = segment(p, stop, cols)
        target = out[of + r * orr + c0 * os : of + r * orr + (c0 + n) * os]
        steps = _simd_steps(n, os, os)
        args = (
            target.ctypes.data,
            x_of_la.ctypes.data,
            y_of_l.ctypes.data,
            z_of_lb.ctypes.data,
            coefficients.ctypes.data,
            inv_gamma.ctypes.data,
            steps,
        )
        if os == 3:
            _LAB_BACK_3(*args)
        else:
            _LAB_BACK_4(*args)
        for i in range(STEP * steps, n):  # Lab2RGBinteger in integers
            L = np.int64(target[os * i])
            X = np.int64(x_of_la[(L << 8) | np.int64(target[os * i + 1])])
            Y = np.int64(y_of_l[L])
            Z = np.int64(z_of_lb[(L << 8) | np.int64(target[os * i + 2])])
            target[os * i] = inv_gamma[min(max((n0 * X + n1 * Y + n2 * Z + 8192) >> 14, 0), 4095)]
            target[os * i + 1] = inv_gamma[min(max((n3 * X + n4 * Y + n5 * Z + 8192) >> 14, 0), 4095)]
            target[os * i + 2] = inv_gamma[min(max((n6 * X + n7 * Y + n8 * Z + 8192) >> 14, 0), 4095)]
        p += n


@functools.cache
def _lab_back_coefficients(red: int, matrix: tuple[int, ...]) -> np.ndarray:
    # lab_back_steps's nine vectors: the rows of the inverse matrix in memory
    # order (red at ``red``), each entry in 16 int32 lanes.
    order = (red, 1, 2 - red)
    return np.repeat(np.array([matrix[3 * r + c] for r in order for c in range(3)], np.int32), 16)


def lab_count(lines: tuple, out_lines: tuple, rows: int, cols: int, red: int, tables) -> np.ndarray:
    """OpenCV's 8-bit L, a, b of every pixel of a uint8 image (``rows x
    cols`` pixels) into ``out`` (in that order, whatever ``red``); returns
    the int64 histogram of L (256 counts). ``tables``:
    :class:`histeq._core.colour_lab.OpenCVLab`."""
    t = tables
    if vbmi.available():
        simd = (t.gamma_bytes, _lab_coefficients(red, tuple(int(v) for v in t.to_xyz)), t.cbrt_int)
        args = (simd, t.gamma, t.cbrt, t.to_xyz, cols, *out_lines)
        return _counted(_lab_count_simd, rows * cols, *lines, red, *args)
    return _counted(_lab_count, rows * cols, *lines, red, t.gamma_float, t.cbrt_float, t.to_xyz, cols, *out_lines)


def lab_tables(lut: np.ndarray, tables) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The back conversion's tables for L mapped through ``lut`` (uint8[256]):
    X of ``256 L + a``, Y of L and Z of ``256 L + b``, each for ``lut[L]``
    (int32; 512 KB in all)."""
    t = tables
    return (
        t.x_of_la.reshape(256, 256)[lut].reshape(-1),
        t.y_of_l[lut],
        t.z_of_lb.reshape(256, 256)[lut].reshape(-1),
    )


def lab_map(out_lines: tuple, rows: int, cols: int, red: int, lut: np.ndarray, tables) -> None:
    """``out`` (holding :func:`lab_count`'s L, a, b) = OpenCV's 8-bit Lab ->
    RGB of (``lut[L]``, a, b), in place."""
    if rows * cols:
        x_of_la, y_of_l, z_of_lb = lab_tables(lut, tables)
        t = tables
        if vbmi.available():
            coefficients = _lab_back_coefficients(red, tuple(int(v) for v in t.to_rgb))
            args = (t.to_rgb, t.inv_gamma_int, coefficients, cols, *out_lines)
            run_chunks(_lab_map_simd, rows * cols, red, x_of_la, y_of_l, z_of_lb, *args)
            return
        run_chunks(_lab_map, rows * cols, red, x_of_la, y_of_l, z_of_lb, t.to_rgb, t.inv_gamma_int, cols, *out_lines)
