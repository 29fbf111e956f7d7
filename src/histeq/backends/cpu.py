"""CPU kernels (numba): the only code in histeq that touches every pixel.

Every kernel takes one-dimensional arrays (any stride, native byte order) and
trusts its arguments: validation happens once, at the public boundary. A mask is
either ``None`` (numba compiles a specialization without the test) or a boolean
array of the same length. The work is split into one contiguous chunk per thread;
per-chunk partial results are reduced at the end, so results never depend on the
number of threads.

No kernel uses ``fastmath``: the float binning must reproduce ``np.histogram`` and
``np.interp`` to the last bit, and fused multiply-adds would change results.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

#: Below this many pixels per thread a kernel runs in one chunk.
_MIN_CHUNK = 1 << 16
#: Per-chunk counters are uint32: a chunk holds at most this many pixels.
_MAX_CHUNK = 1 << 31
#: Histograms up to this many bins are counted with four interleaved copies, so
#: that runs of equal pixels do not wait on the same counter.
_INTERLEAVE_MAX_BINS = 4096


def n_chunks(n: int) -> int:
    """How many parallel chunks a kernel splits ``n`` pixels into.

    One per thread for large inputs, and never more than 2**31 pixels in a
    chunk, so that per-chunk uint32 counters cannot overflow.
    """
    return max(1, min(numba.get_num_threads(), n // _MIN_CHUNK), -(-n // _MAX_CHUNK))


@njit(cache=True)
def _reduce(partial, nbins):
    # Sum per-chunk, per-way uint32 histograms into one int64 histogram.
    out = np.zeros(nbins, np.int64)
    for c in range(partial.shape[0]):
        for w in range(partial.shape[1]):
            for b in range(nbins):
                out[b] += partial[c, w, b]
    return out


@njit(cache=True)
def _float_bin(v, first, last, denom, nbins_f, edges, nbins):
    # The bin of ``v`` exactly as ``np.histogram`` computes it (equal bins):
    # -1 below the first edge, ``nbins`` above the last one. ``v`` is already of
    # the binning type; the caller screens out NaN.
    if v < first:
        return -1
    if v > last:
        return nbins
    idx = np.intp((v - first) / denom * nbins_f)
    if idx >= nbins:
        idx = nbins - 1
    if v < edges[idx]:
        idx -= 1
    elif idx != nbins - 1 and v >= edges[idx + 1]:
        idx += 1
    return idx


@njit(cache=True)
def _level_bin(x, mask, i, lo, trash):
    # Branch-free bin of pixel i: its offset from ``lo``, or ``trash`` (the
    # extra last bin) when it is masked out or outside ``lo .. lo + trash - 1``
    # (values below ``lo`` wrap around to huge unsigned offsets).
    if lo is None:  # unsigned values that are their own bins (lo == 0)
        b = np.uint64(x[i])
        if mask is not None:
            b = b if mask[i] else trash
        return b
    b = np.uint64(x[i] - lo)
    if mask is not None:
        b = b if mask[i] else trash
    return min(b, trash)


@njit(parallel=True, cache=True)
def count_levels(x, mask, lo, hi, k):
    """Histogram of the integers ``lo .. hi``, one bin per level.

    ``lo`` and ``hi`` are scalars of ``x``'s dtype (``hi - lo < 2**31``).
    Values outside the range are not counted. ``lo=None`` promises unsigned
    values that all lie in ``0 .. hi`` (a full-range uint8/uint16 histogram).
    Returns int64 counts of length ``hi - lo + 1``.
    """
    n = x.size
    nbins = np.intp(hi) + 1 if lo is None else np.intp(hi - lo) + 1
    trash = np.uint64(nbins)
    # Small histograms get four interleaved copies per chunk, so that runs of
    # equal pixels do not serialize on one counter.
    ways = 4 if nbins <= _INTERLEAVE_MAX_BINS else 1
    partial = np.zeros((k, ways, nbins + 1), np.uint32)
    for c in prange(k):
        start = c * n // k
        stop = (c + 1) * n // k
        h = partial[c]
        i = start
        if ways == 4:
            h0 = h[0]
            h1 = h[1]
            h2 = h[2]
            h3 = h[3]
            while i + 4 <= stop:
                h0[_level_bin(x, mask, i, lo, trash)] += 1
                h1[_level_bin(x, mask, i + 1, lo, trash)] += 1
                h2[_level_bin(x, mask, i + 2, lo, trash)] += 1
                h3[_level_bin(x, mask, i + 3, lo, trash)] += 1
                i += 4
        h0 = h[0]
        while i < stop:
            h0[_level_bin(x, mask, i, lo, trash)] += 1
            i += 1
    return _reduce(partial, nbins)


@njit(parallel=True, cache=True)
def count_bins(x, mask, zero, first, last, denom, nbins_f, edges, k):
    """Histogram over equal bins, bit-identical to ``np.histogram``.

    Each value is converted to the binning type by adding ``zero`` (a scalar of
    that type); ``first``, ``last``, ``denom`` and ``nbins_f`` carry the types
    numpy's own arithmetic would use. NaN and values outside ``[first, last]``
    are not counted. Returns int64 counts of length ``edges.size - 1``.
    """
    n = x.size
    nbins = edges.size - 1
    ways = 4 if nbins <= _INTERLEAVE_MAX_BINS else 1
    partial = np.zeros((k, ways, nbins), np.uint32)
    for c in prange(k):
        h = partial[c]
        for i in range(c * n // k, (c + 1) * n // k):
            if mask is not None:
                if not mask[i]:
                    continue
            v = x[i] + zero
            if v != v:
                continue
            b = _float_bin(v, first, last, denom, nbins_f, edges, nbins)
            if 0 <= b < nbins:
                h[i & (ways - 1), b] += 1
    return _reduce(partial, nbins)


@njit(parallel=True, cache=True)
def integer_range(x, mask, k):
    """``(min, max, count)`` of the (masked) values of an integer array.

    ``count`` is 0 when nothing is counted, and min/max are then meaningless.
    """
    n = x.size
    lows = np.empty(k, x.dtype)
    highs = np.empty(k, x.dtype)
    counts = np.zeros(k, np.int64)
    for c in prange(k):
        lo = x[0]
        hi = x[0]
        m = 0
        for i in range(c * n // k, (c + 1) * n // k):
            if mask is not None:
                if not mask[i]:
                    continue
            v = x[i]
            if m == 0:
                lo = v
                hi = v
            elif v < lo:
                lo = v
            elif v > hi:
                hi = v
            m += 1
        lows[c] = lo
        highs[c] = hi
        counts[c] = m
    lo = x[0]
    hi = x[0]
    total = 0
    for c in range(k):
        if counts[c] == 0:
            continue
        if total == 0 or lows[c] < lo:
            lo = lows[c]
        if total == 0 or highs[c] > hi:
            hi = highs[c]
        total += counts[c]
    return lo, hi, total


@njit(parallel=True, cache=True)
def float_range(x, mask, k):
    """Scan a float array: ``(min, max, finite_count, infinite_count)``.

    min/max and ``finite_count`` cover the finite (masked) values;
    ``infinite_count`` counts +-inf anywhere in the array, mask or not.
    """
    n = x.size
    lows = np.empty(k, x.dtype)
    highs = np.empty(k, x.dtype)
    finite = np.zeros(k, np.int64)
    infinite = np.zeros(k, np.int64)
    for c in prange(k):
        lo = x[0]
        hi = x[0]
        m = 0
        bad = 0
        for i in range(c * n // k, (c + 1) * n // k):
            v = x[i]
            if v != v:
                continue
            if np.isinf(v):
                bad += 1
                continue
            if mask is not None:
                if not mask[i]:
                    continue
            if m == 0:
                lo = v
                hi = v
            elif v < lo:
                lo = v
            elif v > hi:
                hi = v
            m += 1
        lows[c] = lo
        highs[c] = hi
        finite[c] = m
        infinite[c] = bad
    lo = x[0]
    hi = x[0]
    total = 0
    for c in range(k):
        if finite[c] == 0:
            continue
        if total == 0 or lows[c] < lo:
            lo = lows[c]
        if total == 0 or highs[c] > hi:
            hi = highs[c]
        total += finite[c]
    return lo, hi, total, infinite.sum()


@njit(parallel=True, cache=True)
def apply_levels(x, lo, hi, lut, out, k):
    """``out[i] = lut[x[i] - lo]``; values below ``lo`` or above ``hi`` (scalars
    of ``x``'s dtype, ``lut.size == hi - lo + 1``) take the LUT's first or last
    entry. ``lo=None`` promises unsigned values that all index ``lut``."""
    n = x.size
    for c in prange(k):
        for i in range(c * n // k, (c + 1) * n // k):
            v = x[i]
            if lo is None:  # every value indexes the LUT directly
                out[i] = lut[v]
            elif v < lo:
                out[i] = lut[0]
            elif v > hi:
                out[i] = lut[lut.size - 1]
            else:
                out[i] = lut[v - lo]
    return out


@njit(parallel=True, cache=True)
def apply_pairs(x2, lut2, out2, k):
    """``out2[i] = lut2[x2[i]]``: an 8-bit LUT applied two pixels at a time.

    ``x2``/``out2`` are uint16 views of byte images and ``lut2`` the 65536-entry
    table of pixel pairs (see :func:`pair_lut`); one load and one store per two
    pixels roughly halves the time of a byte-wise lookup.
    """
    n = x2.size
    for c in prange(k):
        for i in range(c * n // k, (c + 1) * n // k):
            out2[i] = lut2[x2[i]]
    return out2


def pair_lut(lut: np.ndarray) -> np.ndarray:
    """The 65536-entry uint16 table for :func:`apply_pairs` from a 256-entry
    byte LUT (native byte order)."""
    wide = lut.view(np.uint8).astype(np.uint16)
    if np.little_endian:
        return ((wide[:, None] << 8) | wide[None, :]).ravel()
    return ((wide[None, :] << 8) | wide[:, None]).ravel()


@njit(parallel=True, cache=True)
def apply_bins(x, zero, first, last, denom, nbins_f, edges, lut, out, k):
    """``out[i] = lut[bin(x[i])]`` with :func:`count_bins`' binning.

    Values below or above the binned range take the first or last entry; NaN
    stays NaN (float output only: integer inputs never hold NaN).
    """
    n = x.size
    nbins = edges.size - 1
    for c in prange(k):
        for i in range(c * n // k, (c + 1) * n // k):
            v = x[i] + zero
            if v != v:
                out[i] = v
                continue
            b = _float_bin(v, first, last, denom, nbins_f, edges, nbins)
            if b < 0:
                b = 0
            elif b >= nbins:
                b = nbins - 1
            out[i] = lut[b]
    return out


@njit(parallel=True, cache=True)
def apply_interp(x, xp, fp, slopes, out, k):
    """``out = np.interp(x, xp, fp)`` to the last bit, for increasing ``xp``.

    ``slopes[j] = (fp[j+1] - fp[j]) / (xp[j+1] - xp[j])`` as numpy computes
    them. ``xp`` must be (nearly) evenly spaced for the index guess to be fast;
    the guess is corrected exactly either way.
    """
    n = x.size
    m = xp.size
    x0 = xp[0]
    inv_step = (m - 1) / (xp[m - 1] - x0) if m > 1 else 0.0
    for c in prange(k):
        for i in range(c * n // k, (c + 1) * n // k):
            v = np.float64(x[i])
            if v != v:
                out[i] = v
                continue
            if v < x0:
                out[i] = fp[0]
                continue
            if v >= xp[m - 1]:
                out[i] = fp[m - 1]
                continue
            j = np.intp((v - x0) * inv_step)
            if j > m - 2:
                j = m - 2
            while j > 0 and xp[j] > v:
                j -= 1
            while j < m - 2 and xp[j + 1] <= v:
                j += 1
            if xp[j] == v:
                out[i] = fp[j]
                continue
            r = slopes[j] * (v - xp[j]) + fp[j]
            if r != r:
                r = slopes[j] * (v - xp[j + 1]) + fp[j + 1]
                if r != r and fp[j] == fp[j + 1]:
                    r = fp[j]
            out[i] = r
    return out
