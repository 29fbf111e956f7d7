"""Mapping kernels: every pixel through its LUT (levels, bytes, equal bins,
RGB triples), through ``np.interp`` or through a sorted table of values.

Every kernel takes one-dimensional arrays (any stride, native byte order) and
trusts its arguments: validation happens once, at the public boundary. The
compiled functions (``_name``) are serial, release the GIL and work on pixels
``start .. stop``; the public functions run them over chunks on several threads
(:mod:`histeq.backends._threads`) and combine the chunks' results, so results
never depend on the thread count.
"""

from __future__ import annotations

import threading

import numpy as np

from .._threads import run_chunks
from . import vbmi
from .bins import PREFETCH_BYTES, PREFETCH_STEP, cell, equal_correct, equal_estimate, jit, level_bin
from .prefetch import prefetch
from .rgb import _apply_rgb, rgb_pixels

_thread_buffers = threading.local()


def _thread_buffer(name: str, dtype) -> np.ndarray:
    # A 65536-entry array kept per thread and reused: a fresh 128-256 KB array
    # costs page faults on every call.
    buffer = getattr(_thread_buffers, name, None)
    if buffer is None:
        buffer = np.empty(1 << 16, dtype)
        setattr(_thread_buffers, name, buffer)
    return buffer


@jit
def _map_table(x, out, table, start, stop):
    # ``out[i] = table[x[i]]`` over start..stop, ``table`` holding an entry for
    # every value of x's dtype. Prefetches ahead, once per PREFETCH_STEP
    # pixels.
    line = x[start:stop]
    target = out[start:stop]
    ahead = PREFETCH_BYTES // line.itemsize
    full = line.size // PREFETCH_STEP * PREFETCH_STEP
    for first in range(0, full, PREFETCH_STEP):
        # numba @intrinsic called from jitted code: its stub's __call__ also counts typingctx
        prefetch(line, min(first + ahead, line.size - 1))  # type: ignore[call-arg]
        for i in range(first, first + PREFETCH_STEP):
            target[i] = table[line[i]]
    for i in range(full, line.size):
        target[i] = table[line[i]]


def apply_rgb(x: np.ndarray, luts: np.ndarray, out: np.ndarray, x_step: int = 3, out_step: int = 3) -> None:
    """``out = luts[channel][x]`` for lines of interleaved RGB bytes, a pixel
    every ``x_step`` / ``out_step`` bytes (see :func:`count_rgb`; the 4th
    bytes of ``out`` are left alone); ``luts`` is uint8 of shape ``(3, 256)``.
    On CPUs with AVX-512 VBMI, lines with equal steps are mapped 64 bytes
    per instruction (:mod:`.vbmi`)."""
    if x_step == out_step and vbmi.available():
        vbmi.apply_rgb(x, np.ascontiguousarray(luts.reshape(-1)), out, x_step)
        return
    run_chunks(_apply_rgb, rgb_pixels(x, x_step), x, x_step, luts.reshape(-1), out, out_step, grain=3)


@jit
def _apply_levels(x, lo, hi, lut, out, start, stop):
    last = lut.size - 1
    line = x[start:stop]
    target = out[start:stop]
    for i in range(line.size):
        target[i] = lut[np.uintp(min(max(level_bin(line[i], lo, hi, lut.size), 0), last))]


def apply_levels(x, lo, hi, lut, out) -> None:
    """``out[i] = lut[x[i] - lo]``; values below ``lo`` or above ``hi`` take
    the LUT's first or last entry."""
    run_chunks(_apply_levels, x.size, x, lo, hi, lut, out)


def apply_direct(x, lut, out) -> None:
    """``out[i] = lut[x[i]]`` for an unsigned ``x`` and a LUT with an entry for
    every value of its dtype (no range checks)."""
    run_chunks(_map_table, x.size, x, out, lut)


@jit
def _fill_pair_lut(lut, lut2):
    # The pair code of bytes (first, second) in memory is ``high * 256 + low``
    # with (high, low) = (second, first) on little-endian machines and
    # (first, second) on big-endian ones; either way the output pair is
    # ``lut[high] << 8 | lut[low]``.
    for high in range(256):
        for low in range(256):
            lut2[high * 256 + low] = (np.uint16(lut[high]) << np.uint16(8)) | np.uint16(lut[low])


def apply_bytes(x: np.ndarray, lut: np.ndarray, out: np.ndarray) -> None:
    """``out = lut[x]`` for contiguous byte lines, two pixels at a time.

    The lines are read and written as uint16 through a 65536-entry table of
    pixel pairs: one load and one store per two pixels roughly halves the time
    of a byte-wise lookup. Falls back to :func:`apply_levels` when the lines
    cannot be paired (odd addresses). On CPUs with AVX-512 VBMI, 64 pixels
    are looked up per instruction instead (:mod:`.vbmi`).
    """
    if vbmi.available():
        vbmi.apply_bytes(x, np.ascontiguousarray(lut), out)
        return
    if x.ctypes.data % 2 or out.ctypes.data % 2:
        apply_levels(x, None, np.uint8(255), lut, out)
        return
    pairs = x.size // 2
    lut2 = _thread_buffer("pair_lut", np.uint16)
    _fill_pair_lut(lut.view(np.uint8), lut2)
    run_chunks(_map_table, pairs, x[: 2 * pairs].view(np.uint16), out[: 2 * pairs].view(np.uint16), lut2, grain=2)
    if x.size % 2:
        out[-1] = lut[x[-1]]


@jit
def _apply_equal(x, zero, first, last, denom, nbins_f, edges, offset, scale, cells, lut, out, start, stop):
    nbins = lut.size
    line = x[start:stop]
    target = out[start:stop]
    for i in range(line.size):
        v = line[i] + zero
        if v != v:
            target[i] = line[i]
            continue
        if v <= first:
            b = 0
        elif v >= last:
            b = nbins - 1
        else:
            b = np.intp(cells[cell(v, offset, scale)])
            if b < 0:
                b = equal_estimate(v, first, denom, nbins_f, nbins)
                b = equal_correct(v, b, edges[b], edges[b + 1], nbins)
        target[i] = lut[np.uintp(b)]


def apply_equal(x, zero, first, last, denom, nbins_f, edges, offset, scale, cells, lut, out) -> None:
    """``out[i] = lut[bin(x[i])]`` with :func:`count_equal`'s bins; values below
    or above the range take the first or last entry, NaN stays NaN."""
    args = (x, zero, first, last, denom, nbins_f, edges, offset, scale, cells, lut, out)
    run_chunks(_apply_equal, x.size, *args)


@jit
def _apply_interp(x, xp, fp, slopes, out, start, stop):
    m = xp.size
    x0 = xp[0]
    inv_step = (m - 1) / (xp[m - 1] - x0) if m > 1 else 0.0
    line = x[start:stop]
    target = out[start:stop]
    for i in range(line.size):
        v = np.float64(line[i])
        if v != v:
            target[i] = v
        elif v < x0:
            target[i] = fp[0]
        elif v >= xp[m - 1]:
            target[i] = fp[m - 1]
        else:
            # Guess the interval from an even spacing, then correct it exactly.
            j = min(np.intp((v - x0) * inv_step), m - 2)
            while j > 0 and xp[j] > v:
                j -= 1
            while j < m - 2 and xp[j + 1] <= v:
                j += 1
            if xp[j] == v:
                target[i] = fp[j]
                continue
            r = slopes[j] * (v - xp[j]) + fp[j]
            if r != r:  # numpy retries from the right end, then falls back
                r = slopes[j] * (v - xp[j + 1]) + fp[j + 1]
                if r != r and fp[j] == fp[j + 1]:
                    r = fp[j]
            target[i] = r


def apply_interp(x, xp, fp, slopes, out) -> None:
    """``out = np.interp(x, xp, fp)`` to the last bit, for increasing ``xp``,
    with ``slopes[j] = (fp[j+1] - fp[j]) / (xp[j+1] - xp[j])`` as numpy
    computes them."""
    run_chunks(_apply_interp, x.size, x, xp, fp, slopes, out)


@jit
def _apply_sorted(x, values, table, out, start, stop):
    line = x[start:stop]
    target = out[start:stop]
    for i in range(line.size):
        target[i] = table[np.searchsorted(values, line[i])]


def apply_sorted(x, values, table, out) -> None:
    """``out[i] = table[k]`` where ``values[k] == x[i]``: ``values`` sorted,
    of ``x``'s dtype, holding every value of ``x`` (a binary search per pixel)."""
    run_chunks(_apply_sorted, x.size, x, values, table, out)
