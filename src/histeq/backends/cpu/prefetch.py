"""A prefetch hint for numba kernels: LLVM's ``llvm.prefetch`` intrinsic.

Streaming kernels call :func:`prefetch` a little ahead of where they read:
hardware prefetchers stop at every 4 KB page boundary, and where memory is
far (virtual machines, a line that other work pushed out of the caches) each
restart costs a full memory latency. A prefetch is only a hint: it never
faults and never changes a result.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def prefetch(typingctx, array, index):
    """Ask the CPU to bring ``array[index]`` into its caches, for reading.
    ``index`` must lie inside ``array`` (no wraparound, no bounds check)."""
    if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        data = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(
            context, builder, array_type, data, [args[1]], wraparound=False, boundscheck=False
        )
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        hint = builder.module.declare_intrinsic(
            "llvm.prefetch", [byte_pointer], ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32])
        )
        # read (0), keep in all cache levels (3), data cache (1)
        builder.call(hint, [builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen
