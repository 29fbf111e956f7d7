"""Counting kernels: histograms of integer levels, equal bins, bytes and 16-bit words.

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
from .bins import PREFETCH_BYTES, PREFETCH_STEP, cell, equal_correct, equal_estimate, jit, level_bin
from .prefetch import prefetch

#: Histograms up to this many bins are counted in four interleaved copies;
#: larger ones in one (four would no longer fit in a core's caches).
_SPREAD_MAX_BINS = 4096

# Each thread counts its chunks into its own int64 histogram ``h`` of shape
# (copies, nbins + 1): small histograms get four interleaved copies (so that runs
# of equal pixels do not wait on one counter; the inner ``range(4)`` unrolls),
# and the last column collects what is not counted. Compiled helpers take
# scalars only: passing arrays to one costs reference counting on every pixel;
# per-pixel code that needs arrays is an inner function, which numba inlines.
# Loops run over a slice from index 0, so that indices are provably
# non-negative and numba's negative-index handling drops out of the loop.


def _histogram(kernel, n, args, nbins, copies=4, grain=1) -> np.ndarray:
    # Run a counting kernel over a line and sum the threads' histograms.
    tables = run_chunks(kernel, n, *args, grain=grain, accumulator=lambda: np.zeros((copies, nbins + 1), np.int64))
    return sum(table.sum(axis=0) for table in tables)[:nbins]


def _copies(nbins: int) -> int:
    # Four copies while they fit in a core's caches, else one.
    return 4 if nbins <= _SPREAD_MAX_BINS else 1


@jit
def _count_levels(x, mask, lo, hi, h, start, stop):
    nbins = h.shape[1] - 1
    spread = h.shape[0] - 1  # 3 or 0: which copy each of four pixels goes to
    line = x[start:stop]

    def bin_of(i):
        if mask is not None:  # noqa: SIM102 (numba prunes the None branch only on its own)
            if not mask[start + i]:
                return nbins
        b = level_bin(line[i], lo, hi, nbins)
        return nbins if b < 0 else b

    full = line.size // 4 * 4
    for i in range(0, full, 4):
        for way in range(4):
            h[way & spread, np.uintp(bin_of(i + way))] += 1
    for i in range(full, line.size):
        h[0, np.uintp(bin_of(i))] += 1


def count_levels(x, mask, lo, hi) -> np.ndarray:
    """Histogram of the integers ``lo .. hi`` (``lo=None``: ``0 .. hi``).

    Values outside the range are not counted. Returns int64 counts of length
    ``hi - lo + 1``.
    """
    nbins = int(hi) + 1 if lo is None else int(hi) - int(lo) + 1
    return _histogram(_count_levels, x.size, (x, mask, lo, hi), nbins, _copies(nbins))


@jit
def _count_equal(x, mask, zero, first, last, denom, nbins_f, edges, offset, scale, cells, codes, h, start, stop):
    nbins = edges.size - 1
    line = x[start:stop]
    if codes is not None:
        coded = codes[start:stop]

    def bin_of(i):
        # (bin to count, or nbins; the pixel's code: its bin clamped to the
        # range, or nbins for NaN)
        v = line[i] + zero
        if not first <= v <= last:
            if v < first:
                return nbins, 0
            return nbins, nbins - 1 if v > last else nbins  # above, or NaN
        b = np.intp(cells[cell(v, offset, scale)])
        if b < 0:
            b = equal_estimate(v, first, denom, nbins_f, nbins)
            b = equal_correct(v, b, edges[b], edges[b + 1], nbins)
        if mask is not None:  # noqa: SIM102 (numba prunes the None branch only on its own)
            if not mask[start + i]:
                return nbins, b
        return b, b

    full = line.size // 4 * 4
    for i in range(0, full, 4):
        for way in range(4):
            b, code = bin_of(i + way)
            h[way, np.uintp(b)] += 1
            if codes is not None:
                coded[i + way] = code
    for i in range(full, line.size):
        b, code = bin_of(i)
        h[0, np.uintp(b)] += 1
        if codes is not None:
            coded[i] = code


def count_equal(x, mask, zero, first, last, denom, nbins_f, edges, offset, scale, cells, codes=None) -> np.ndarray:
    """Histogram over equal bins, bit-identical to ``np.histogram``.

    Each value is converted to numpy's bin dtype by adding ``zero`` (-0.0:
    exact, and free when the dtypes already agree); ``first``,
    ``last``, ``denom`` and ``nbins_f`` carry the dtypes numpy's own arithmetic
    uses. ``cells[c]`` is the bin of every value in cell
    ``int((v - offset) * scale)`` of a fine grid, or -1 where the cell is too
    close to an edge and numpy's arithmetic decides (a single -1 cell: always).
    NaN and values outside ``[first, last]`` are not counted. ``codes`` (a
    uint16 array like ``x``, optional) receives each pixel's bin, clamped to
    the range, or ``nbins`` for NaN. Returns int64 counts of length
    ``edges.size - 1``.
    """
    args = (x, mask, zero, first, last, denom, nbins_f, edges, offset, scale, cells, codes)
    return _histogram(_count_equal, x.size, args, edges.size - 1)


@jit
def _count_bytes(words, h, start, stop):
    pairs = words[2 * start : 2 * stop]
    for i in range(stop - start):
        for half in range(2):
            w = pairs[2 * i + half]
            for j in range(8):
                h[8 * half + j, (w >> np.uint64(8 * j)) & np.uint64(255)] += 1


@jit
def _count_codes(x, tables, start, stop):
    # Counts each value of x[start:stop] (uint16 codes) in a _CodeTable pair:
    # uint16 counts, a wrap carried into the high table, whose last entry
    # counts the carries. Prefetches like _map_table.
    line = x[start:stop]
    low, high = tables
    carries = high.size - 1
    ahead = PREFETCH_BYTES // line.itemsize

    def visit(v):
        count = np.uint16(low[v] + 1)
        low[v] = count
        if count == 0:
            high[v] += 1
            high[carries] += 1

    full = line.size // PREFETCH_STEP * PREFETCH_STEP
    for first in range(0, full, PREFETCH_STEP):
        # numba @intrinsic called from jitted code: its stub's __call__ also counts typingctx
        prefetch(line, min(first + ahead, line.size - 1))  # type: ignore[call-arg]
        for i in range(first, first + PREFETCH_STEP):
            visit(line[i])
    for i in range(full, line.size):
        visit(line[i])


@jit
def _fold_pair_counts(table, shift, counts):
    # Adds the byte counts of a pair histogram (each count shifted left by
    # ``shift``) to ``counts``, zeroing the table on the way: each pair holds
    # both of its bytes (which byte is which does not matter for the sum).
    for first in range(256):
        row = table[first * 256 : (first + 1) * 256]
        total = 0
        for second in range(256):
            count = np.int64(row[second]) << shift
            row[second] = 0
            total += count
            counts[second] += count
        counts[first] += total


@jit
def _fold_pairs(low, high):
    # Byte counts of a _CodeTable pair of pair histograms, zeroing both (the
    # carries only where some were made, as the last entry of ``high`` says).
    counts = np.zeros(256, np.int64)
    _fold_pair_counts(low, 0, counts)
    if high[high.size - 1]:
        _fold_pair_counts(high, 16, counts)
        high[high.size - 1] = 0
    return counts


@jit
def _drain_codes(low, high):
    # The counts of a _CodeTable pair as int64, zeroing both (as _fold_pairs).
    counts = np.empty(low.size, np.int64)
    for code in range(low.size):
        counts[code] = low[code]
        low[code] = 0
    if high[high.size - 1]:
        for code in range(low.size):
            counts[code] += np.int64(high[code]) << 16
            high[code] = 0
        high[high.size - 1] = 0
    return counts


class _CodeTable(threading.local):
    """This thread's 65536-bin histogram of uint16 codes (byte pairs or
    16-bit pixels), zeroed between uses.

    Counts are held in uint16, half the cache footprint of uint32 (7-10% faster
    counting of photographs' pairs on this project's Zen 4 VM); a count that
    wraps carries into a uint32 table, whose last entry counts the carries,
    so that it is read only when used. The fold (pairs) or drain (16-bit
    pixels) that reads the counts out zeroes the tables, so no call pays a
    128 KB fill; tables taken but never read out (an exception or interrupt
    in between) are zeroed when next taken.
    """

    def __init__(self) -> None:
        self.tables = (np.zeros(1 << 16, np.uint16), np.zeros((1 << 16) + 1, np.uint32))
        self.clean = True

    def take(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.clean:
            for table in self.tables:
                table.fill(0)
        self.clean = False
        return self.tables

    def fold(self, tables: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        counts = _fold_pairs(*tables)
        self.clean = True
        return counts

    def drain(self, tables: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        counts = _drain_codes(*tables)
        self.clean = True
        return counts


@jit
def _distinct_pairs(pairs, blocks, length):
    # Distinct values among ``blocks`` contiguous runs of ``length`` pairs,
    # spread evenly over the line.
    seen = np.zeros(1 << 16, np.bool_)
    step = (pairs.size - length) // max(blocks - 1, 1)
    distinct = 0
    for block in range(blocks):
        run = pairs[block * step : block * step + length]
        for i in range(run.size):
            if not seen[run[i]]:
                seen[run[i]] = True
                distinct += 1
    return distinct


#: Pair histograms pay while a sample of 8 runs of 4096 pairs holds at most
#: ``_PAIRS_MAX_DISTINCT`` distinct pairs: the hot part of the 256 KB table then
#: stays in the core's caches (photographs and scans: a few thousand; noise:
#: most of the 32768).
_PAIRS_SAMPLE_RUNS, _PAIRS_SAMPLE_RUN = 8, 4096
_PAIRS_MAX_DISTINCT = 12288
#: Code tables count to 2**48 (uint16 counts, uint32 carries): lines below
#: this size use them.
_CODES_MAX_PIXELS = 1 << 48


_code_tables = _CodeTable()


def count_bytes(x: np.ndarray) -> np.ndarray:
    """Histogram of a contiguous uint8 line. Returns int64 counts of length 256.

    Images whose neighbouring pixels are alike (most photographs and scans) are
    counted two pixels per increment, in a 65536-bin histogram of uint16 pixel
    pairs folded to 256 bins at the end. Noise-like images, whose pairs would
    scatter over the whole table, are read eight pixels per 64-bit load into 16
    interleaved histograms instead.
    """
    pairs = x.size // 2
    sample = _PAIRS_SAMPLE_RUNS * _PAIRS_SAMPLE_RUN
    if sample <= pairs and x.size < _CODES_MAX_PIXELS and x.ctypes.data % 2 == 0:
        codes = x[: 2 * pairs].view(np.uint16)
        if _distinct_pairs(codes, _PAIRS_SAMPLE_RUNS, _PAIRS_SAMPLE_RUN) <= _PAIRS_MAX_DISTINCT:
            tables = _code_tables
            counts = sum(run_chunks(_count_codes, pairs, codes, grain=2, accumulator=tables.take, finish=tables.fold))
            if x.size % 2:
                counts[x[-1]] += 1
            return counts
    head = min(-x.ctypes.data % 8, x.size)  # bytes before the first aligned word
    blocks = (x.size - head) // 16
    body = x[head : head + 16 * blocks].view(np.uint64)
    counts = np.zeros(256, np.int64)
    if blocks:
        counts += _histogram(_count_bytes, blocks, (body,), 256, copies=16, grain=16)
    for rest in (x[:head], x[head + 16 * blocks :]):
        if rest.size:
            counts += count_levels(rest, None, None, np.uint8(255))
    return counts


def count_words(x: np.ndarray) -> np.ndarray:
    """Histogram of a uint16 line (any stride). Returns int64 counts of length 65536.

    Counted in one 65536-bin table of uint16 counts (with uint32 carries) per
    thread, which stays allocated and is zeroed as it is read out: an eighth
    of the cache footprint of int64 counters, and no fill per call.
    """
    if x.size >= _CODES_MAX_PIXELS:
        return count_levels(x, None, None, np.uint16(0xFFFF))
    tables = _code_tables
    return sum(run_chunks(_count_codes, x.size, x, accumulator=tables.take, finish=tables.drain))
