"""Shared pieces of the CPU kernels: the compile decorator, prefetch distances
and the per-value bin arithmetic (compiled scalar helpers, inlined by numba).

Bins come in two kinds (see ``histeq._core.binning``):

- *levels*: integers ``lo .. hi`` (scalars of the pixel dtype), one bin each;
  ``lo=None`` means unsigned values that are their own bin (no range check);
- *equal bins*: ``(zero, first, last, denom, nbins_f, edges)``, computed exactly
  as ``np.histogram`` computes them, with a lookup grid ``(offset, scale,
  cells)`` that skips the arithmetic away from the edges.

No kernel uses ``fastmath``: the float binning must reproduce ``np.histogram`` and
``np.interp`` to the last bit, and fused multiply-adds would change results.
"""

from __future__ import annotations

import numpy as np

from ._numba_boot import jit  # compiled once, cached on disk, releasing the GIL

#: The bin code of values below the range (above the range is ``nbins``).
BELOW = -1
#: Streaming kernels prefetch ``PREFETCH_BYTES`` ahead of their reads, once
#: per ``PREFETCH_STEP`` pixels (a constant, so the loop between unrolls).
#: On this project's 2-core VM this took a third off counting and mapping
#: lines that had gone cold in memory, and a few % off hot ones.
PREFETCH_BYTES = 2048
PREFETCH_STEP = 32


@jit
def level_bin(v, lo, hi, nbins):
    # The bin of integer v: its offset from lo, BELOW or nbins outside lo..hi.
    if lo is None:
        return np.intp(v)
    if v < lo:
        return BELOW
    if v > hi:
        return nbins
    return np.intp(v - lo)


@jit
def equal_estimate(v, first, denom, nbins_f, nbins):
    # np.histogram's estimate of the bin of v in [first, last] (v already in
    # numpy's bin dtype): int((v - first) / denom * nbins), last edge in the
    # last bin.
    return min(np.intp((v - first) / denom * nbins_f), nbins - 1)


@jit
def equal_correct(v, idx, low_edge, high_edge, nbins):
    # np.histogram's one correction step of the estimate against the edges.
    if v < low_edge:
        return idx - 1
    if idx != nbins - 1 and v >= high_edge:
        return idx + 1
    return idx


@jit
def cell(v, offset, scale):
    # The cell of v in [first, last] on the lookup grid (whose table has spare
    # undecided cells past the end, for rounding at the last edge).
    return np.uintp(np.intp((v - offset) * scale))
