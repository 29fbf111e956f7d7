"""Value ranges of masked lines (numpy's SIMD reductions serve unmasked lines)."""

from __future__ import annotations

import numpy as np

from .._threads import run_chunks
from .bins import jit


@jit
def _masked_integer_range(x, mask, start, stop):
    line = x[start:stop]
    selected = mask[start:stop]
    lo = line[0]
    hi = line[0]
    m = 0
    for i in range(line.size):
        if selected[i]:
            v = line[i]
            if m == 0 or v < lo:
                lo = v
            if m == 0 or v > hi:
                hi = v
            m += 1
    return lo, hi, m


def masked_integer_range(x, mask) -> tuple[int, int] | None:
    """``(min, max)`` of the integers where ``mask``, or None if none is."""
    found = [(lo, hi) for lo, hi, m in run_chunks(_masked_integer_range, x.size, x, mask) if m]
    if not found:
        return None
    return min(lo for lo, _ in found), max(hi for _, hi in found)


@jit
def _masked_float_range(x, mask, start, stop):
    lo = np.inf
    hi = -np.inf
    m = 0
    infinite = 0
    line = x[start:stop]
    selected = mask[start:stop]
    for i in range(line.size):
        v = line[i]
        if v - v != 0:  # NaN or +-inf
            infinite += v == v
        elif selected[i]:
            lo = min(lo, v)
            hi = max(hi, v)
            m += 1
    return lo, hi, m, infinite


def masked_float_range(x, mask) -> tuple[float | None, float | None, int]:
    """``(min, max, infinite)``: min and max of the finite values where ``mask``
    (None, None if there are none) and the number of +-inf anywhere in ``x``."""
    chunks = run_chunks(_masked_float_range, x.size, x, mask)
    infinite = sum(chunk[3] for chunk in chunks)
    found = [chunk for chunk in chunks if chunk[2]]
    if not found:
        return None, None, infinite
    return min(c[0] for c in found), max(c[1] for c in found), infinite
