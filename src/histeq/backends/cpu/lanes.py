"""16 int32 counts at a time: vector steps for histograms, as LLVM intrinsics.

Sliding-window histograms move 16 bins at once (a coarse bin's fine bins,
or the 16 coarse bins). numba's loops over two int32 arrays stay scalar
(LLVM cannot tell that the arrays do not overlap, and numba widens int32
arithmetic to int64), so these steps are written as one ``<16 x i32>``
operation each on the counts at the given addresses (any alignment). The IR
is generic: LLVM lowers it to the target's vectors (one AVX-512 register,
two AVX2 ones, four SSE ones, ...), so it compiles for every CPU numba does.
Addresses are ``array.ctypes.data + 4 * index``; the caller keeps the 16
counts inside their arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

LANES = 16
_VECTOR = ir.VectorType(ir.IntType(32), LANES)


def _pointer(builder: ir.IRBuilder, address: ir.Value) -> ir.Value:
    return builder.inttoptr(address, _VECTOR.as_pointer())


def _load(builder: ir.IRBuilder, address: ir.Value) -> ir.Value:
    return builder.load(_pointer(builder, address), align=4)


@intrinsic
def _slide16(typingctx, window, entering, leaving):
    """``window[0:16] += entering[0:16] - leaving[0:16]`` (int32 counts at these addresses)."""
    sig = types.void(types.uintp, types.uintp, types.uintp)

    def codegen(context, builder, signature, args):
        window, entering, leaving = args
        moved = builder.add(_load(builder, window), builder.sub(_load(builder, entering), _load(builder, leaving)))
        builder.store(moved, _pointer(builder, window), align=4)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _add16(typingctx, window, counts):
    """``window[0:16] += counts[0:16]`` (int32 counts at these addresses)."""
    sig = types.void(types.uintp, types.uintp)

    def codegen(context, builder, signature, args):
        window, counts = args
        builder.store(builder.add(_load(builder, window), _load(builder, counts)), _pointer(builder, window), align=4)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _sum16(typingctx, counts, lanes):
    """``counts[0] + ... + counts[lanes - 1]`` of 16 int32 counts at ``counts``
    (``lanes`` from 0 to 16), as an int64."""
    sig = types.int64(types.uintp, types.intp)

    def codegen(context, builder, signature, args):
        counts, lanes = args
        index = ir.Constant(_VECTOR, list(range(LANES)))
        wanted = builder.icmp_signed("<", index, _broadcast(builder, builder.trunc(lanes, ir.IntType(32))))
        return _reduce(builder, builder.select(wanted, _load(builder, counts), _zeros()))

    return sig, codegen


def _broadcast(builder: ir.IRBuilder, value: ir.Value) -> ir.Value:
    # A 32-bit scalar in every lane.
    lane = builder.insert_element(ir.Constant(_VECTOR, None), value, ir.Constant(ir.IntType(32), 0))
    return builder.shuffle_vector(lane, ir.Constant(_VECTOR, None), ir.Constant(_VECTOR, [0] * LANES))


def _reduce(builder: ir.IRBuilder, vector: ir.Value) -> ir.Value:
    # The sum of the lanes, as an int64.
    reduce = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(ir.IntType(32), [_VECTOR]), "llvm.vector.reduce.add.v16i32"
    )
    return builder.sext(builder.call(reduce, [vector]), ir.IntType(64))


@intrinsic
def _over16(typingctx, counts, limit):
    """``sum(max(c - limit, 0))`` of 16 int32 counts at ``counts``, as an int64."""
    sig = types.int64(types.uintp, types.intp)

    def codegen(context, builder, signature, args):
        counts, limit = args
        values = _load(builder, counts)
        limits = _broadcast(builder, builder.trunc(limit, ir.IntType(32)))
        above = builder.select(builder.icmp_signed(">", values, limits), builder.sub(values, limits), _zeros())
        return _reduce(builder, above)

    return sig, codegen


@intrinsic
def _clipped16(typingctx, counts, limit, lanes):
    """``sum(min(c, limit))`` of the first ``lanes`` (0 to 16) of 16 int32
    counts at ``counts``, as an int64."""
    sig = types.int64(types.uintp, types.intp, types.intp)

    def codegen(context, builder, signature, args):
        counts, limit, lanes = args
        values = _load(builder, counts)
        limits = _broadcast(builder, builder.trunc(limit, ir.IntType(32)))
        clipped = builder.select(builder.icmp_signed("<", values, limits), values, limits)
        index = ir.Constant(_VECTOR, list(range(LANES)))
        wanted = builder.icmp_signed("<", index, _broadcast(builder, builder.trunc(lanes, ir.IntType(32))))
        return _reduce(builder, builder.select(wanted, clipped, _zeros()))

    return sig, codegen


def _zeros() -> ir.Constant:
    return ir.Constant(_VECTOR, [0] * LANES)


# Called from compiled code only; typed here as what they take there.
slide16 = cast(Callable[[int, int, int], None], _slide16)
add16 = cast(Callable[[int, int], None], _add16)
sum16 = cast(Callable[[int, int], int], _sum16)
over16 = cast(Callable[[int, int], int], _over16)
clipped16 = cast(Callable[[int, int, int], int], _clipped16)
