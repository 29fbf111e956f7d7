"""CPU kernels (numba): the only code in histeq that touches every pixel.

Every kernel takes one-dimensional arrays (any stride, native byte order) and
trusts its arguments: validation happens once, at the public boundary. A mask is
either ``None`` (numba compiles a specialization without the test) or a boolean
array of the same length.

The compiled functions (``_name``) are serial, release the GIL, and work on
pixels ``start .. stop``; the public functions run them over chunks on several
threads (:mod:`histeq.backends._threads`) and combine the chunks' results, so
results never depend on the thread count.

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

import threading

import numpy as np
from numba import njit

from ._prefetch import prefetch
from ._threads import run_chunks

_jit = njit(cache=True, nogil=True)

#: The bin code of values below the range (above the range is ``nbins``).
_BELOW = -1
#: Histograms up to this many bins are counted in four interleaved copies;
#: larger ones in one (four would no longer fit in a core's caches).
_SPREAD_MAX_BINS = 4096
#: Streaming kernels prefetch ``_PREFETCH_BYTES`` ahead of their reads, once
#: per ``_PREFETCH_STEP`` pixels (a constant, so the loop between unrolls).
#: On this project's 2-core VM this took a third off counting and mapping
#: lines that had gone cold in memory, and a few % off hot ones.
_PREFETCH_BYTES = 2048
_PREFETCH_STEP = 32


# --- bins -------------------------------------------------------------------


@_jit
def _level_bin(v, lo, hi, nbins):
    # The bin of integer v: its offset from lo, _BELOW or nbins outside lo..hi.
    if lo is None:
        return np.intp(v)
    if v < lo:
        return _BELOW
    if v > hi:
        return nbins
    return np.intp(v - lo)


@_jit
def _equal_estimate(v, first, denom, nbins_f, nbins):
    # np.histogram's estimate of the bin of v in [first, last] (v already in
    # numpy's bin dtype): int((v - first) / denom * nbins), last edge in the
    # last bin.
    return min(np.intp((v - first) / denom * nbins_f), nbins - 1)


@_jit
def _equal_correct(v, idx, low_edge, high_edge, nbins):
    # np.histogram's one correction step of the estimate against the edges.
    if v < low_edge:
        return idx - 1
    if idx != nbins - 1 and v >= high_edge:
        return idx + 1
    return idx


@_jit
def _cell(v, offset, scale):
    # The cell of v in [first, last] on the lookup grid (whose table has spare
    # undecided cells past the end, for rounding at the last edge).
    return np.uintp(np.intp((v - offset) * scale))


# --- counting ---------------------------------------------------------------
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


@_jit
def _count_levels(x, mask, lo, hi, h, start, stop):
    nbins = h.shape[1] - 1
    spread = h.shape[0] - 1  # 3 or 0: which copy each of four pixels goes to
    line = x[start:stop]

    def bin_of(i):
        if mask is not None:  # noqa: SIM102 (numba prunes the None branch only on its own)
            if not mask[start + i]:
                return nbins
        b = _level_bin(line[i], lo, hi, nbins)
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


@_jit
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
        b = np.intp(cells[_cell(v, offset, scale)])
        if b < 0:
            b = _equal_estimate(v, first, denom, nbins_f, nbins)
            b = _equal_correct(v, b, edges[b], edges[b + 1], nbins)
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


@_jit
def _count_bytes(words, h, start, stop):
    pairs = words[2 * start : 2 * stop]
    for i in range(stop - start):
        for half in range(2):
            w = pairs[2 * i + half]
            for j in range(8):
                h[8 * half + j, (w >> np.uint64(8 * j)) & np.uint64(255)] += 1


@_jit
def _map_table(x, out, table, start, stop):
    # ``out[i] = table[x[i]]`` over start..stop, ``table`` holding an entry for
    # every value of x's dtype. Prefetches ahead, once per _PREFETCH_STEP
    # pixels.
    line = x[start:stop]
    target = out[start:stop]
    ahead = _PREFETCH_BYTES // line.itemsize
    full = line.size // _PREFETCH_STEP * _PREFETCH_STEP
    for first in range(0, full, _PREFETCH_STEP):
        prefetch(line, min(first + ahead, line.size - 1))
        for i in range(first, first + _PREFETCH_STEP):
            target[i] = table[line[i]]
    for i in range(full, line.size):
        target[i] = table[line[i]]


@_jit
def _count_codes(x, tables, start, stop):
    # Counts each value of x[start:stop] (uint16 codes) in a _CodeTable pair:
    # uint16 counts, a wrap carried into the high table, whose last entry
    # counts the carries. Prefetches like _map_table.
    line = x[start:stop]
    low, high = tables
    carries = high.size - 1
    ahead = _PREFETCH_BYTES // line.itemsize

    def visit(v):
        count = np.uint16(low[v] + 1)
        low[v] = count
        if count == 0:
            high[v] += 1
            high[carries] += 1

    full = line.size // _PREFETCH_STEP * _PREFETCH_STEP
    for first in range(0, full, _PREFETCH_STEP):
        prefetch(line, min(first + ahead, line.size - 1))
        for i in range(first, first + _PREFETCH_STEP):
            visit(line[i])
    for i in range(full, line.size):
        visit(line[i])


@_jit
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


@_jit
def _fold_pairs(low, high):
    # Byte counts of a _CodeTable pair of pair histograms, zeroing both (the
    # carries only where some were made, as the last entry of ``high`` says).
    counts = np.zeros(256, np.int64)
    _fold_pair_counts(low, 0, counts)
    if high[high.size - 1]:
        _fold_pair_counts(high, 16, counts)
        high[high.size - 1] = 0
    return counts


@_jit
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


@_jit
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


_thread_buffers = threading.local()
_code_tables = _CodeTable()


def _thread_buffer(name: str, dtype) -> np.ndarray:
    # A 65536-entry array kept per thread and reused: a fresh 128-256 KB array
    # costs page faults on every call.
    buffer = getattr(_thread_buffers, name, None)
    if buffer is None:
        buffer = np.empty(1 << 16, dtype)
        setattr(_thread_buffers, name, buffer)
    return buffer


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


@_jit
def _count_rgb(x, step, h, start, stop):
    # Pixels start..stop of a line of RGB triples, one every ``step`` bytes;
    # neighbouring pixels go to alternate copies (alike neighbours would wait
    # on each other's counter). Each step has a loop of its own, with the
    # step a constant (a variable one cost 40%).
    line = x[step * start : step * stop]

    def count(every):
        for i in range(stop - start):
            way = i & 1
            h[way, line[every * i]] += 1
            h[way, 256 + line[every * i + 1]] += 1
            h[way, 512 + line[every * i + 2]] += 1

    if step == 4:
        count(4)
    else:
        count(3)


def count_rgb(x: np.ndarray, step: int = 3) -> np.ndarray:
    """Per-channel histograms of a line of interleaved RGB bytes.

    ``x`` holds a pixel every ``step`` bytes (3: RGB; 4: RGBX or RGBA, the
    4th byte not read) and ends with the last pixel's blue byte. Returns
    int64 counts of shape ``(3, 256)``.
    """
    tables = run_chunks(
        _count_rgb,
        _rgb_pixels(x, step),
        x,
        step,
        grain=3,
        accumulator=lambda: np.zeros((2, 3 * 256), np.int64),
    )
    return sum(table.sum(axis=0) for table in tables).reshape(3, 256)


@_jit
def _apply_rgb(x, x_step, luts, out, out_step, start, stop):
    # As _count_rgb, a loop for each pair of steps.
    line = x[x_step * start : x_step * stop]
    target = out[out_step * start : out_step * stop]

    def apply(every, out_every):
        for i in range(stop - start):
            target[out_every * i] = luts[line[every * i]]
            target[out_every * i + 1] = luts[256 + line[every * i + 1]]
            target[out_every * i + 2] = luts[512 + line[every * i + 2]]

    if x_step == 4:
        if out_step == 4:
            apply(4, 4)
        else:
            apply(4, 3)
    elif out_step == 4:
        apply(3, 4)
    else:
        apply(3, 3)


def apply_rgb(x: np.ndarray, luts: np.ndarray, out: np.ndarray, x_step: int = 3, out_step: int = 3) -> None:
    """``out = luts[channel][x]`` for lines of interleaved RGB bytes, a pixel
    every ``x_step`` / ``out_step`` bytes (see :func:`count_rgb`; the 4th
    bytes of ``out`` are left alone); ``luts`` is uint8 of shape ``(3, 256)``.
    On CPUs with AVX-512 VBMI, lines with equal steps are mapped 64 bytes
    per instruction (:mod:`.cpu_vbmi`)."""
    from . import cpu_vbmi

    if x_step == out_step and cpu_vbmi.available():
        cpu_vbmi.apply_rgb(x, np.ascontiguousarray(luts.reshape(-1)), out, x_step)
        return
    run_chunks(_apply_rgb, _rgb_pixels(x, x_step), x, x_step, luts.reshape(-1), out, out_step, grain=3)


def _rgb_pixels(x: np.ndarray, step: int) -> int:
    # The pixels of a line that ends with its last pixel's blue byte.
    return (x.size + step - 3) // step


# --- plans ------------------------------------------------------------------
# The 8-bit OpenCV plan runs on every uint8 call: compiled, it costs one call
# instead of a dozen numpy ones (each slow when its code is out of the caches).


@_jit
def _opencv_byte_offsets(counts, offsets):
    # offsets[v] = round_half_even((cdf[v] - h[v0]) * (255 / (N - h[v0]))) in
    # float32 (cv2.equalizeHist), 0 below v0, the lowest occupied bin; False
    # when fewer than two bins are occupied (the image stays as it is).
    v0 = 0
    while v0 < counts.size and counts[v0] == 0:
        v0 += 1
    total = counts.sum()
    if v0 == counts.size or counts[v0] == total:
        return False
    first = counts[v0]
    scale = np.float32(255) / np.float32(total - first)
    offsets[:v0] = 0
    cdf = 0
    for v in range(v0, counts.size):
        cdf += counts[v]
        offsets[v] = np.uint8(np.rint(np.float32(cdf - first) * scale))
    return True


def opencv_byte_offsets(counts: np.ndarray) -> np.ndarray | None:
    """cv2.equalizeHist's LUT for int64 ``counts`` (any number of bins): uint8
    offsets ``0 .. 255`` above the lowest output level, or None when fewer than
    two bins are occupied."""
    offsets = np.empty(counts.size, np.uint8)
    return offsets if _opencv_byte_offsets(counts, offsets) else None


@_jit
def _interp_cdf(counts, ref_counts, ref_values, out, top):
    # np.interp(cdf[v] / N, G, R) per bin v, G and R the reference's strictly
    # increasing cumulative fractions and values at its occupied bins. The
    # fractions never decrease, so the interval j only moves up; an empty bin
    # has the fraction of the bin before it.
    total = counts.sum()
    ref_total = ref_counts.sum()
    occupied = np.flatnonzero(ref_counts)
    fractions = np.empty(occupied.size)
    values = np.empty(occupied.size)
    cdf = 0
    for k in range(occupied.size):
        cdf += ref_counts[occupied[k]]
        fractions[k] = cdf / ref_total
        values[k] = ref_values[occupied[k]]
    last = occupied.size - 1
    j = 0
    cdf = 0
    for v in range(counts.size):
        if v and not counts[v]:
            out[v] = out[v - 1]
            continue
        cdf += counts[v]
        x = cdf / total
        if x < fractions[0]:
            y = values[0]
        elif x >= fractions[last]:
            y = values[last]
        else:
            while fractions[j + 1] <= x:
                j += 1
            if fractions[j] == x:
                y = values[j]
            else:
                slope = (values[j + 1] - values[j]) / (fractions[j + 1] - fractions[j])
                y = slope * (x - fractions[j]) + values[j]
        if top is not None:
            y = min(max(np.rint(y), 0.0), top)
        out[v] = y


def interp_cdf(counts, ref_counts, ref_values, out, top=None) -> None:
    """``out = np.interp(cumsum(counts) / counts.sum(), G, ref_values[occupied])``
    to the last bit, per bin of ``counts``: ``G`` the cumulative fractions of
    ``ref_counts`` at its occupied bins, strictly increasing (fewer than
    2**52 pixels). Both counts int64 with at least one pixel, ``ref_values``
    float64 (one per reference bin); ``out`` float64, or with ``top`` (a
    float) unsigned levels: each value rounded half to even and clipped to
    ``0 .. top``."""
    _interp_cdf(counts, ref_counts, ref_values, out, top)


# --- value ranges (masked; numpy's SIMD reductions serve unmasked lines) ------


@_jit
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


def masked_integer_range(x, mask) -> tuple:
    """``(min, max)`` of the integers where ``mask``, or None if none is."""
    found = [(lo, hi) for lo, hi, m in run_chunks(_masked_integer_range, x.size, x, mask) if m]
    if not found:
        return None
    return min(lo for lo, _ in found), max(hi for _, hi in found)


@_jit
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


def masked_float_range(x, mask) -> tuple:
    """``(min, max, infinite)``: min and max of the finite values where ``mask``
    (None, None if there are none) and the number of +-inf anywhere in ``x``."""
    chunks = run_chunks(_masked_float_range, x.size, x, mask)
    infinite = sum(chunk[3] for chunk in chunks)
    found = [chunk for chunk in chunks if chunk[2]]
    if not found:
        return None, None, infinite
    return min(c[0] for c in found), max(c[1] for c in found), infinite


# --- mapping ----------------------------------------------------------------


@_jit
def _apply_levels(x, lo, hi, lut, out, start, stop):
    last = lut.size - 1
    line = x[start:stop]
    target = out[start:stop]
    for i in range(line.size):
        target[i] = lut[np.uintp(min(max(_level_bin(line[i], lo, hi, lut.size), 0), last))]


def apply_levels(x, lo, hi, lut, out) -> None:
    """``out[i] = lut[x[i] - lo]``; values below ``lo`` or above ``hi`` take
    the LUT's first or last entry."""
    run_chunks(_apply_levels, x.size, x, lo, hi, lut, out)


def apply_direct(x, lut, out) -> None:
    """``out[i] = lut[x[i]]`` for an unsigned ``x`` and a LUT with an entry for
    every value of its dtype (no range checks)."""
    run_chunks(_map_table, x.size, x, out, lut)


@_jit
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
    are looked up per instruction instead (:mod:`.cpu_vbmi`).
    """
    from . import cpu_vbmi

    if cpu_vbmi.available():
        cpu_vbmi.apply_bytes(x, np.ascontiguousarray(lut), out)
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


@_jit
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
            b = np.intp(cells[_cell(v, offset, scale)])
            if b < 0:
                b = _equal_estimate(v, first, denom, nbins_f, nbins)
                b = _equal_correct(v, b, edges[b], edges[b + 1], nbins)
        target[i] = lut[np.uintp(b)]


def apply_equal(x, zero, first, last, denom, nbins_f, edges, offset, scale, cells, lut, out) -> None:
    """``out[i] = lut[bin(x[i])]`` with :func:`count_equal`'s bins; values below
    or above the range take the first or last entry, NaN stays NaN."""
    args = (x, zero, first, last, denom, nbins_f, edges, offset, scale, cells, lut, out)
    run_chunks(_apply_equal, x.size, *args)


@_jit
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


@_jit
def _apply_sorted(x, values, table, out, start, stop):
    line = x[start:stop]
    target = out[start:stop]
    for i in range(line.size):
        target[i] = table[np.searchsorted(values, line[i])]


def apply_sorted(x, values, table, out) -> None:
    """``out[i] = table[k]`` where ``values[k] == x[i]``: ``values`` sorted,
    of ``x``'s dtype, holding every value of ``x`` (a binary search per pixel)."""
    run_chunks(_apply_sorted, x.size, x, values, table, out)
