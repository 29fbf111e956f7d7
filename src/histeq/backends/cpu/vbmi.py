"""CPU kernels for AVX-512 VBMI: byte LUTs applied 64 bytes per instruction.

``vpermi2b`` (AVX-512 VBMI: Intel Ice Lake and later, AMD Zen 4 and later)
looks up 64 bytes at once in a 128-entry byte table held in two registers;
two lookups and a select on each byte's top bit map 64 bytes through a
256-entry LUT. Interleaved RGB takes one such lookup per channel and a
select by each byte's channel (the 4th byte of RGBX pixels kept). Mapping
then runs at about the speed of a copy; on this project's Zen 4 VM, with two
threads: 3840x2160 grey 0.5 - 0.6 ms against 1.0 - 1.7 ms for the pair-table
lookups of ``apply.apply_bytes``, and 1920x1080 RGB or RGBX 0.3 - 0.4 ms
against 1.26 ms for ``apply.apply_rgb``'s scalar loop.

numba compiles for the CPU it runs on, and LLVM cannot compile the intrinsic
for a CPU without the instructions: :func:`available` says whether numba's
target has them, and nothing here is compiled unless it does. The results
are the scalar kernels' bit for bit; only the speed depends on the CPU.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .._threads import run_chunks
from .bins import jit
from .rgb import _apply_rgb as _apply_rgb_scalar
from .rgb import rgb_pixels

#: Bytes one instruction maps.
_BLOCK = 64


@functools.cache
def available() -> bool:
    """Whether the CPU numba compiles for has AVX-512 VBMI (and BW)."""
    from numba.core import config
    from numba.core.codegen import get_host_cpu_features

    # numba sets its config attributes at run time (through globals()): unknown to type checkers
    cpu_features = config.CPU_FEATURES  # type: ignore[attr-defined]
    features = cpu_features if cpu_features is not None else get_host_cpu_features()
    enabled = set(features.split(","))
    return {"+avx512f", "+avx512bw", "+avx512vbmi"} <= enabled


def _block_mapper(step: int):
    # An intrinsic ``map_blocks(source, blocks, luts, target)``: maps the
    # bytes at the addresses ``source`` and ``target`` (any alignment; the
    # same address for both is fine), ``blocks`` times 64 * period bytes,
    # where a pixel's channels lie one every byte and a pixel every ``step``
    # bytes (1: grey; 3: RGB; 4: RGBX, the 4th byte of ``target`` kept).
    # Channel c goes through the 256-byte LUT at ``luts + 256 * c``.
    channels = min(step, 3)
    period = step // math.gcd(step, _BLOCK)  # vectors before the channels repeat

    @intrinsic
    def map_blocks(typingctx, source, blocks, luts, target):
        sig = types.void(types.uintp, types.intp, types.uintp, types.uintp)

        def codegen(context, builder, signature, args):
            source, blocks, luts, target = args
            vector = ir.VectorType(ir.IntType(8), _BLOCK)
            permute = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(vector, [vector] * 3), "llvm.x86.avx512.vpermi2var.qi.512"
            )

            def at(address, offset):
                if isinstance(offset, int):
                    offset = ir.Constant(address.type, offset)
                return builder.inttoptr(builder.add(address, offset), vector.as_pointer())

            def lanes(k, channel):
                # the lanes of the period's k-th vector that hold ``channel``
                flags = [(_BLOCK * k + j) % step == channel for j in range(_BLOCK)]
                return ir.Constant(ir.VectorType(ir.IntType(1), _BLOCK), flags)

            quarters = [
                [builder.load(at(luts, 256 * c + _BLOCK * q), align=1) for q in range(4)] for c in range(channels)
            ]
            with cgutils.for_range(builder, blocks) as loop:
                base = builder.mul(loop.index, ir.Constant(blocks.type, _BLOCK * period))
                for k in range(period):
                    offset = builder.add(base, ir.Constant(blocks.type, _BLOCK * k))
                    pixels = builder.load(at(source, offset), align=1)
                    # bit 6 of each byte picks the first or second quarter of
                    # a half of the LUT, bit 7 (the sign) the half
                    upper = builder.icmp_signed("<", pixels, ir.Constant(vector, None))
                    mapped = None
                    for c, (q0, q1, q2, q3) in enumerate(quarters):
                        low = builder.call(permute, [q0, pixels, q1])
                        high = builder.call(permute, [q2, pixels, q3])
                        value = builder.select(upper, high, low)
                        mapped = value if mapped is None else builder.select(lanes(k, c), value, mapped)
                    if step > channels:
                        kept = builder.load(at(target, offset), align=1)
                        mapped = builder.select(lanes(k, channels), kept, mapped)
                    builder.store(mapped, at(target, offset), align=1)
            return context.get_dummy_value()

        return sig, codegen

    return map_blocks


_map_grey, _map_rgb, _map_rgbx = (_block_mapper(step) for step in (1, 3, 4))


@jit
def _apply_bytes(x, lut, out, start, stop):
    blocks = (stop - start) // _BLOCK
    _map_grey(x.ctypes.data + start, blocks, lut.ctypes.data, out.ctypes.data + start)
    for i in range(start + blocks * _BLOCK, stop):
        out[i] = lut[x[i]]


def apply_bytes(x: np.ndarray, lut: np.ndarray, out: np.ndarray) -> None:
    """``out = lut[x]`` for contiguous uint8 lines ``x`` and ``out`` of the
    same length and a contiguous uint8 LUT of 256 entries; only where
    :func:`available`."""
    run_chunks(_apply_bytes, x.size, x, lut, out)


@jit
def _apply_rgb(x, step, luts, out, start, stop):
    # Pixels start..stop; the last pixel of the line (whose 4th byte may lie
    # beyond it) and what does not fill a period are left to the scalar kernel.
    per_block = 64 if step == 3 else 16
    blocks = max(stop - start - 1, 0) // per_block
    source, target = x.ctypes.data + step * start, out.ctypes.data + step * start
    if step == 3:
        _map_rgb(source, blocks, luts.ctypes.data, target)
    else:
        _map_rgbx(source, blocks, luts.ctypes.data, target)
    _apply_rgb_scalar(x, step, luts, out, step, start + blocks * per_block, stop)


def apply_rgb(x: np.ndarray, luts: np.ndarray, out: np.ndarray, step: int) -> None:
    """:func:`.cpu.apply_rgb` for lines with the same ``step`` (3 or 4) and a
    contiguous ``luts`` of 768 bytes (red, green, blue); only where
    :func:`available`."""
    run_chunks(_apply_rgb, rgb_pixels(x, step), x, step, luts, out, grain=3)
