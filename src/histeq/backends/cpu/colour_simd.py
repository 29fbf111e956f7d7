"""OpenCV's 8-bit YCrCb and Lab in explicit AVX-512 vectors, 64 pixels a step.

LLVM vectorizes :mod:`.colour_lut`'s loops by itself, but numba widens
integer arithmetic to int64 (so those loops compute in exact float32, 16
pixels a vector, converting each way) and LLVM vectorizes no loop that looks
tables up. Here OpenCV's integer formulas run as OpenCV writes them, in 16-
and 32-bit lanes: the samples of 64 pixels taken from the interleaved bytes
by byte permutes (``vpermt2b``), ``vpmaddwd`` for dot products,
``vpmulhrsw`` for ``DESCALE(v * c, 14)``, 256-byte tables (the LUT, Lab's
gamma as low and high bytes) looked up in registers (``vpermi2b``, as
:mod:`.vbmi`) and larger ones 16 entries at a time (:func:`gather`). On this
project's VM, one thread, against those loops: YCrCb's Y 1.6x and its map
2x faster, Lab's count 1.6x and its map 1.1x (bound by its six gathers of
16 entries per 16 pixels).

The intrinsics compile only for CPUs with AVX-512 BW and VBMI
(:func:`.vbmi.available`); elsewhere :mod:`.colour_lut` runs its loops, with
the same results bit for bit. Each step reads and writes whole 64-pixel
blocks of a pixel line (``out`` may be the source: a step reads before it
writes); the caller leaves the rest of a row, and where a pixel is 4 bytes
the row's last pixel (whose 4th byte may lie beyond the line), to scalar
code, and the 4th byte of 4 is written back as it was read.

Exactness (uint8 samples): ``vpmulhrsw(a, b) = (a * b + 2**14) >> 15``, so
``vpmulhrsw(a, 2 c) = (a * c + 2**13) >> 14 = DESCALE(a * c, 14)`` while
``2 c`` fits in int16 (Cr's 11682, Cb's 9241), and ``vpmulhrsw(2 a, c)`` the
same while ``2 a`` does (the inverse's 22987 and 29049, ``|cr|, |cb| <=
128``); Y, G's two-term sum and all of Lab run in int32: Lab's XYZ sums of
gamma values below 2**24, its inverse's sums below 2**29 in magnitude (the
tables' ``-538 <= X <= 32304``, ``-1335 <= Z <= 72253``, ``0 <= Y <=
16384``, checked by the tests).
"""

from __future__ import annotations

import functools

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

#: Pixels per step.
STEP = 64

_I8, _I16, _I32 = ir.IntType(8), ir.IntType(16), ir.IntType(32)
_Y = (4899, 9617, 1868)  # OpenCV's Y coefficients of R, G, B (over 2**14)
#: Lab's ``Lshift`` plus the rounding term: L = (296 fY + this) >> 15.
_L_OFFSET = -((16 * 255 * (1 << 15) + 50) // 100) + (1 << 14)


def _vector(kind: ir.IntType, lanes: int) -> ir.VectorType:
    return ir.VectorType(kind, lanes)


def _splat(kind: ir.IntType, lanes: int, value: int) -> ir.Constant:
    return ir.Constant(_vector(kind, lanes), [value] * lanes)


def gather(builder: ir.IRBuilder, table, indices):
    """IR for ``table[indices]``: 16 int32 entries of the table at the
    address ``table`` (an integer) at <16 x i32> ``indices``. LLVM's generic
    ``masked.gather``: one instruction with AVX2 or AVX-512, single loads on
    CPUs without gathers."""
    lanes = 16
    vector, wide = _vector(_I32, lanes), ir.VectorType(ir.IntType(64), lanes)
    pointers = ir.VectorType(_I32.as_pointer(), lanes)
    function = cgutils.get_or_insert_function(
        builder.module,
        ir.FunctionType(vector, [pointers, _I32, _vector(ir.IntType(1), lanes), vector]),
        "llvm.masked.gather.v16i32.v16p0",
    )
    base = builder.insert_element(ir.Constant(wide, None), builder.zext(table, ir.IntType(64)), _I32(0))
    base = builder.shuffle_vector(base, ir.Constant(wide, None), ir.Constant(vector, [0] * lanes))
    addresses = builder.add(base, builder.shl(builder.zext(indices, wide), ir.Constant(wide, [2] * lanes)))
    everything = ir.Constant(_vector(ir.IntType(1), lanes), [1] * lanes)
    return builder.call(function, [builder.inttoptr(addresses, pointers), _I32(4), everything, vector(None)])


class _Builder:
    """The IR a step needs: loads and stores at byte addresses, shuffles,
    and the x86 intrinsics."""

    def __init__(self, builder: ir.IRBuilder) -> None:
        self.b = builder

    def _x86(self, name: str, result: ir.Type, *arguments: ir.Type):
        return cgutils.get_or_insert_function(self.b.module, ir.FunctionType(result, arguments), name)

    def address(self, base, step, size: int, offset: int = 0):
        # base + step * size + offset
        scaled = self.b.mul(step, ir.Constant(step.type, size))
        return self.b.add(base, self.b.add(scaled, ir.Constant(step.type, offset)))

    def load(self, address):
        return self.b.load(self.b.inttoptr(address, _vector(_I8, 64).as_pointer()), align=1)

    def store(self, value, address) -> None:
        self.b.store(value, self.b.inttoptr(address, value.type.as_pointer()), align=1)

    def shuffle(self, a, b, indices: list[int]):
        return self.b.shuffle_vector(a, b, ir.Constant(_vector(_I32, len(indices)), indices))

    def concat(self, parts: list):
        # one vector of all ``parts`` (equal lengths, a power of two of them)
        while len(parts) > 1:
            n = parts[0].type.count
            parts = [self.shuffle(parts[i], parts[i + 1], list(range(2 * n))) for i in range(0, len(parts), 2)]
        return parts[0]

    def gather_bytes(self, vectors: list, positions: list[int | None]):
        # the bytes at ``positions`` of the 64-byte ``vectors`` laid end to
        # end (None: zero), as one vector; the positions lie in two
        # neighbouring vectors, so LLVM needs one two-source permute
        first = min(p for p in positions if p is not None) // 64
        pair = self.concat([vectors[first], vectors[min(first + 1, len(vectors) - 1)]])
        zeros = ir.Constant(pair.type, [0] * pair.type.count)
        return self.shuffle(pair, zeros, [128 if p is None else p - 64 * first for p in positions])

    def clamp(self, v, top: int):
        # integer lanes clamped to 0 .. top
        kind, lanes = v.type.element, v.type.count
        v = self.b.select(self.b.icmp_signed("<", v, _splat(kind, lanes, 0)), _splat(kind, lanes, 0), v)
        return self.b.select(self.b.icmp_signed(">", v, _splat(kind, lanes, top)), _splat(kind, lanes, top), v)

    def words(self, value):
        return self.b.bitcast(value, _vector(_I16, value.type.count // 2))

    def madd(self, a, b):
        # vpmaddwd: <32 x i16> pairs -> <16 x i32> sums of products
        v16, v32 = _vector(_I16, 32), _vector(_I32, 16)
        return self.b.call(self._x86("llvm.x86.avx512.pmaddw.d.512", v32, v16, v16), [a, b])

    def mulhrs(self, a, b):
        # vpmulhrsw of <64 x i16> by <32 x i16>, in two halves
        v16 = _vector(_I16, 32)
        function = self._x86("llvm.x86.avx512.pmul.hr.sw.512", v16, v16, v16)
        halves = [self.b.call(function, [self.shuffle(a, a, list(range(h, h + 32))), b]) for h in (0, 32)]
        return self.concat(halves)

    def gather(self, table, indices):
        return gather(self.b, table, indices)

    def lookup(self, quarters: list, indices):
        # 64 bytes through a 256-byte LUT held in four 64-byte quarters
        v8 = _vector(_I8, 64)
        permute = self._x86("llvm.x86.avx512.vpermi2var.qi.512", v8, v8, v8, v8)
        low = self.b.call(permute, [quarters[0], indices, quarters[1]])
        high = self.b.call(permute, [quarters[2], indices, quarters[3]])
        upper = self.b.icmp_signed("<", indices, ir.Constant(indices.type, None))
        return self.b.select(upper, high, low)


@functools.cache
def y_steps(xs: int, red: int):
    """An intrinsic ``steps(source, plane, n)``: OpenCV's Y, DESCALE(4899 R
    + 9617 G + 1868 B, 14), of ``n`` steps of 64 pixels, a pixel every
    ``xs`` (3 or 4) bytes from the address ``source``, red at ``red`` (0 or
    2); 64 bytes a step at ``plane``."""
    k = _Y if red == 0 else _Y[::-1]  # coefficients in memory order

    @intrinsic
    def steps(typingctx, source, plane, n):
        sig = types.void(types.uintp, types.uintp, types.intp)

        def codegen(context, builder, signature, args):
            source, plane, n = args
            x = _Builder(builder)
            first_two = ir.Constant(_vector(_I16, 32), [k[0], k[1]] * 16)
            third = ir.Constant(_vector(_I16, 32), [k[2], 0] * 16)
            with cgutils.for_range(builder, n) as loop:
                vectors = [x.load(x.address(source, loop.index, STEP * xs, 64 * j)) for j in range(xs)]
                parts = []
                for q in range(4):  # 16 pixels in 32-bit lanes
                    first = 16 * xs * q

                    def samples(c0, c1, first=first):
                        # (c0, c1) samples of each pixel as int16 pairs (None: 0)
                        positions: list[int | None] = []
                        for j in range(16):
                            for c in (c0, c1):
                                positions += [None if c is None else first + xs * j + c, None]
                        return x.words(x.gather_bytes(vectors, positions))

                    total = builder.add(x.madd(samples(0, 1), first_two), x.madd(samples(2, None), third))
                    total = builder.lshr(builder.add(total, _splat(_I32, 16, 1 << 13)), _splat(_I32, 16, 14))
                    parts.append(builder.trunc(total, _vector(_I8, 16)))
                x.store(x.concat(parts), x.address(plane, loop.index, STEP))
            return context.get_dummy_value()

        return sig, codegen

    return steps


@functools.cache
def back_steps(xs: int, os: int, red: int):
    """An intrinsic ``steps(source, plane, lut, out, n)``: OpenCV's YCrCb ->
    RGB of (``lut[Y]``, Cr and Cb of the pixel) for ``n`` steps of 64
    pixels: a pixel every ``xs`` bytes at ``source`` (red at ``red``), its Y
    at ``plane``, the 256-byte LUT at ``lut``, a pixel every ``os`` bytes
    at ``out`` (the 4th byte of 4 left as it is). ``out`` may be ``source``
    (each step reads before it writes)."""
    blue = 2 - red

    @intrinsic
    def steps(typingctx, source, plane, lut, out, n):
        sig = types.void(types.uintp, types.uintp, types.uintp, types.uintp, types.intp)

        def codegen(context, builder, signature, args):
            source, plane, lut, out, n = args
            x = _Builder(builder)
            quarters = [x.load(x.address(lut, ir.Constant(n.type, 0), 0, 64 * q)) for q in range(4)]
            v16 = _vector(_I16, 64)
            wide = lambda v: builder.zext(v, v16)  # noqa: E731
            pair_coefficients = ir.Constant(_vector(_I16, 32), [-5636, -11698] * 16)
            with cgutils.for_range(builder, n) as loop:
                step = loop.index
                vectors = [x.load(x.address(source, step, STEP * xs, 64 * j)) for j in range(xs)]
                pixels = x.concat([*vectors, *vectors[: 4 - xs]])  # 256 bytes (xs = 3: the last 64 repeated)
                R = x.shuffle(pixels, pixels, [xs * j + red for j in range(STEP)])
                B = x.shuffle(pixels, pixels, [xs * j + blue for j in range(STEP)])
                old = x.load(x.address(plane, step, STEP))
                new = wide(x.lookup(quarters, old))
                old = wide(old)
                # cr, cb: Cr - 128, Cb - 128 (cr saturates at 127 only)
                cr = x.mulhrs(builder.sub(wide(R), old), _splat(_I16, 32, 2 * 11682))
                cr = builder.select(builder.icmp_signed(">", cr, _splat(_I16, 64, 127)), _splat(_I16, 64, 127), cr)
                cb = x.mulhrs(builder.sub(wide(B), old), _splat(_I16, 32, 2 * 9241))
                one = _splat(_I16, 64, 1)
                d_red = x.mulhrs(builder.shl(cr, one), _splat(_I16, 32, 22987))
                d_blue = x.mulhrs(builder.shl(cb, one), _splat(_I16, 32, 29049))
                green = []
                for q in range(4):  # DESCALE(cb * -5636 + cr * -11698, 14) in 32-bit lanes, 16 pixels
                    pairs = x.shuffle(cb, cr, [i for j in range(16 * q, 16 * q + 16) for i in (j, 64 + j)])
                    total = builder.add(x.madd(pairs, pair_coefficients), _splat(_I32, 16, 1 << 13))
                    green.append(builder.trunc(builder.ashr(total, _splat(_I32, 16, 14)), _vector(_I16, 16)))
                d_green = x.concat(green)

                def level(delta):
                    return builder.trunc(x.clamp(builder.add(new, delta), 255), _vector(_I8, 64))

                channels = {red: level(d_red), 1: level(d_green), blue: level(d_blue)}
                _interleave(x, (channels[0], channels[1], channels[2]), out, step, os)
            return context.get_dummy_value()

        return sig, codegen

    return steps


@functools.cache
def lab_steps(xs: int, os: int):
    """An intrinsic ``steps(source, gamma, coefficients, cbrt, out, levels,
    n)``: OpenCV's 8-bit L, a, b (``RGB2Lab_b``) of ``n`` steps of 64 pixels,
    a pixel every ``xs`` bytes at ``source``, into ``out`` (a pixel every
    ``os`` bytes, the 4th of 4 left as it is; may be ``source``) and L into
    64 bytes a step at ``levels``. Tables at addresses: ``gamma`` the low
    then the high bytes of the 256 linear values * 2040 (512 bytes);
    ``coefficients`` six int16 vectors of 32 lanes, the XYZ matrix's rows as
    pairs (first, second sample) and (third sample, 0) of memory order;
    ``cbrt`` OpenCV's cube-root table, int32 (2041 entries)."""

    @intrinsic
    def steps(typingctx, source, gamma, coefficients, cbrt, out, levels, n):
        sig = types.void(types.uintp, types.uintp, types.uintp, types.uintp, types.uintp, types.uintp, types.intp)

        def codegen(context, builder, signature, args):
            source, gamma, coefficients, cbrt, out, levels, n = args
            x = _Builder(builder)
            zero_step = ir.Constant(n.type, 0)
            quarters = [[x.load(x.address(gamma, zero_step, 0, 256 * h + 64 * q)) for q in range(4)] for h in range(2)]
            rows = [
                x.b.load(
                    x.b.inttoptr(x.address(coefficients, zero_step, 0, 64 * r), _vector(_I16, 32).as_pointer()), align=1
                )
                for r in range(6)
            ]
            lanes = 16

            def clamp_byte(v):  # int32 lanes clamped to 0 .. 255, as bytes
                return builder.trunc(x.clamp(v, 255), _vector(_I8, lanes))

            with cgutils.for_range(builder, n) as loop:
                step = loop.index
                vectors = [x.load(x.address(source, step, STEP * xs, 64 * j)) for j in range(xs)]
                pixels = x.concat([*vectors, *vectors[: 4 - xs]])
                linear = []  # linear RGB * 2040 of each sample, as int16 (little-endian byte pairs)
                for c in range(3):
                    samples = x.shuffle(pixels, pixels, [xs * j + c for j in range(STEP)])
                    low = x.lookup(quarters[0], samples)
                    high = x.lookup(quarters[1], samples)
                    linear.append(x.words(x.shuffle(low, high, [i for j in range(STEP) for i in (j, 64 + j)])))
                L_parts, a_parts, b_parts = [], [], []
                for q in range(4):  # 16 pixels in 32-bit lanes
                    span = list(range(16 * q, 16 * q + 16))
                    first_two = x.shuffle(linear[0], linear[1], [i for j in span for i in (j, 64 + j)])
                    zeros = ir.Constant(linear[2].type, None)
                    third = x.shuffle(linear[2], zeros, [i for j in span for i in (j, 64)])  # (sample, 0)
                    f = []
                    for r in range(3):  # X, Y, Z: cbrt[DESCALE(row . rgb, 12)]
                        total = builder.add(x.madd(first_two, rows[2 * r]), x.madd(third, rows[2 * r + 1]))
                        index = builder.lshr(builder.add(total, _splat(_I32, lanes, 1 << 11)), _splat(_I32, lanes, 12))
                        f.append(x.gather(cbrt, index))
                    half = _splat(_I32, lanes, (128 << 15) + (1 << 14))
                    L = builder.mul(f[1], _splat(_I32, lanes, 296))
                    L = builder.ashr(builder.add(L, _splat(_I32, lanes, _L_OFFSET)), _splat(_I32, lanes, 15))
                    a = builder.mul(builder.sub(f[0], f[1]), _splat(_I32, lanes, 500))
                    a = builder.ashr(builder.add(a, half), _splat(_I32, lanes, 15))
                    b = builder.mul(builder.sub(f[1], f[2]), _splat(_I32, lanes, 200))
                    b = builder.ashr(builder.add(b, half), _splat(_I32, lanes, 15))
                    L_parts.append(clamp_byte(L))
                    a_parts.append(clamp_byte(a))
                    b_parts.append(clamp_byte(b))
                L, a, b = x.concat(L_parts), x.concat(a_parts), x.concat(b_parts)
                x.store(L, x.address(levels, step, STEP))
                _interleave(x, (L, a, b), out, step, os)
            return context.get_dummy_value()

        return sig, codegen

    return steps


@functools.cache
def lab_back_steps(os: int):
    """An intrinsic ``steps(out, x_of_la, y_of_l, z_of_lb, coefficients,
    inv_gamma, n)``: OpenCV's 8-bit Lab -> RGB (``Lab2RGBinteger``) of ``n``
    steps of 64 pixels of L, a, b at ``out`` (a pixel every ``os`` bytes, the
    4th of 4 left as it is), in place. Tables (int32) at addresses: X * 2**14
    of ``256 L + a``, Y of L, Z of ``256 L + b``; ``coefficients`` nine
    vectors of 16 int32 lanes, the inverse matrix's rows in the output's
    memory order; ``inv_gamma`` (4096 entries). Every sum fits in int32 (see
    the module docstring)."""

    @intrinsic
    def steps(typingctx, out, x_of_la, y_of_l, z_of_lb, coefficients, inv_gamma, n):
        sig = types.void(*[types.uintp] * 6, types.intp)

        def codegen(context, builder, signature, args):
            out, x_of_la, y_of_l, z_of_lb, coefficients, inv_gamma, n = args
            x = _Builder(builder)
            lanes = 16
            v32 = _vector(_I32, lanes)
            zero_step = ir.Constant(n.type, 0)
            rows = [
                builder.load(builder.inttoptr(x.address(coefficients, zero_step, 0, 64 * i), v32.as_pointer()), align=1)
                for i in range(9)
            ]
            with cgutils.for_range(builder, n) as loop:
                step = loop.index
                vectors = [x.load(x.address(out, step, STEP * os, 64 * j)) for j in range(os)]
                pixels = x.concat([*vectors, *vectors[: 4 - os]])
                L, a, b = (x.shuffle(pixels, pixels, [os * j + c for j in range(STEP)]) for c in range(3))
                channels: list[list] = [[], [], []]
                for q in range(4):  # 16 pixels in 32-bit lanes
                    span = list(range(16 * q, 16 * q + 16))

                    def quarter(v, span=span):
                        return builder.zext(x.shuffle(v, v, span), v32)

                    L32 = quarter(L)
                    row = builder.shl(L32, _splat(_I32, lanes, 8))
                    X = x.gather(x_of_la, builder.or_(row, quarter(a)))
                    Y = x.gather(y_of_l, L32)
                    Z = x.gather(z_of_lb, builder.or_(row, quarter(b)))
                    for c in range(3):  # linear * 4096: DESCALE(row . XYZ, 14), clamped; sRGB byte
                        total = builder.add(builder.mul(rows[3 * c], X), builder.mul(rows[3 * c + 1], Y))
                        total = builder.add(total, builder.mul(rows[3 * c + 2], Z))
                        total = builder.ashr(builder.add(total, _splat(_I32, lanes, 1 << 13)), _splat(_I32, lanes, 14))
                        channels[c].append(
                            builder.trunc(x.gather(inv_gamma, x.clamp(total, 4095)), _vector(_I8, lanes))
                        )
                _interleave(x, tuple(x.concat(parts) for parts in channels), out, step, os)
            return context.get_dummy_value()

        return sig, codegen

    return steps


def _interleave(x: _Builder, channels: tuple, out, step, os: int) -> None:
    # Three <64 x i8> channels as 64 pixels a ``os`` bytes at ``out`` (step
    # ``step``), the 4th byte of 4 kept.
    both = x.concat([channels[0], channels[1]])
    last = x.concat([channels[2], channels[2]])
    order = [min(c, 2) * 64 + j for j in range(STEP) for c in range(os)]
    interleaved = x.shuffle(both, last, order)
    fourth = ir.Constant(_vector(ir.IntType(1), 64), [i % 4 == 3 for i in range(64)])
    for j in range(os):
        target = x.address(out, step, STEP * os, 64 * j)
        part = x.shuffle(interleaved, interleaved, list(range(64 * j, 64 * j + 64)))
        if os == 4:
            part = x.b.select(fourth, x.load(target), part)
        x.store(part, target)
