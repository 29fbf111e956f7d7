"""How pixel values become histogram bins, and the kernels that count and map
through those bins.

Three kinds of binning cover every image:

- :class:`LevelBins`: one bin per integer level ``lo .. hi``. Used for 8- and
  16-bit integers (the dtype's whole range) and for wider integers whose
  occupied range spans at most :data:`MAX_LEVELS` levels.
- :class:`EqualBins`: ``nbins`` equal-width bins between two edges, bit-identical
  to ``np.histogram(values, bins=nbins, range=(first, last))``. Used for floats
  (default 256 bins) and for integers when ``nbins`` is given or their range is
  wider than :data:`MAX_LEVELS` levels (default :data:`MAX_LEVELS` bins).
- :class:`HalfBins`: float16 images, read as their 65536 bit patterns: counted
  per pattern, then gathered into :class:`EqualBins` by numpy's own float16
  arithmetic, and mapped through a 65536-entry table per pattern.
- :class:`OffsetBins`: the default equal bins of integers with levels beyond
  +-2**53 (which float64 does not hold), over their exact offsets from the
  lowest level.

Each binning counts a pixel line and applies a mapping to it: a LUT (one
output value per bin) or an :class:`Interp`.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..backends import kernels
from .levels import is_integer, is_small_integer

#: Integers are counted one bin per level while their range spans at most this many levels.
MAX_LEVELS = 1 << 16
#: Bins for float images when ``nbins`` is not given (scikit-image's default too).
DEFAULT_FLOAT_BINS = 256
#: Equal bins are looked up on a grid of this many cells (see ``EqualBins._grid``)
#: when there are at most ``_GRID_MAX_BINS`` bins and ``_GRID_MIN_PIXELS`` pixels.
_GRID_CELLS = 1 << 16
_GRID_MAX_BINS = 4096
_GRID_MIN_PIXELS = 1 << 18
_NO_GRID = (0.0, 0.0, np.full(1, -1, np.int16))  # one cell, always undecided

Line = tuple[np.ndarray, "np.ndarray | None"]
#: A range end as ``np.histogram`` receives it: a numpy scalar of the image
#: dtype (from ``a.min()``/``a.max()``) or a Python number (a user's range).
Edge = float | np.integer | np.floating


class ZeroWidthBins(ValueError):
    """``nbins`` equal bins over a range that holds too few values of the bin
    dtype: some would have zero width (``np.histogram`` refuses them too)."""


@dataclass(frozen=True)
class Interp:
    """``np.interp(value, xp, fp)`` per pixel, with numpy's precomputed slopes."""

    xp: np.ndarray
    fp: np.ndarray
    slopes: np.ndarray

    @classmethod
    def through(cls, xp: np.ndarray, fp: np.ndarray) -> Interp:
        xp = xp.astype(np.float64)
        fp = fp.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            slopes = (fp[1:] - fp[:-1]) / (xp[1:] - xp[:-1])
        return cls(xp, fp, slopes)


#: What a plan maps bins through: a LUT (one output value per bin) or an Interp.
Mapping = np.ndarray | Interp


@dataclass(frozen=True)
class LevelBins:
    """One bin per integer level ``lo .. hi`` (numpy scalars of the pixel dtype).

    ``direct``: unsigned values that are their own bin indices (``lo == 0`` and
    ``hi`` the dtype's maximum), so kernels skip range checks.
    """

    lo: np.integer
    hi: np.integer
    direct: bool = False

    @property
    def nbins(self) -> int:
        return int(self.hi) - int(self.lo) + 1

    def edges(self) -> np.ndarray:
        """``nbins + 1`` float64 edges; level ``v`` lies in ``[v, v + 1)``."""
        return np.arange(int(self.lo), int(self.hi) + 2, dtype=np.float64)

    def centres(self) -> np.ndarray:
        """The levels themselves, as float64."""
        return np.arange(int(self.lo), int(self.hi) + 1, dtype=np.float64)

    @property
    def _lo(self) -> np.integer | None:
        # Kernels skip range checks when ``lo`` is None.
        return None if self.direct else self.lo

    def count(self, x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        cpu = kernels(x)
        if self.direct and mask is None:
            if _contiguous_bytes(x):
                return cpu.count_bytes(x)
            if x.dtype == np.uint16:
                return cpu.count_words(x)
        return cpu.count_levels(x, mask, self._lo, self.hi)

    def count_for_lut(self, x: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        return self.count(x, mask), None

    def apply(self, lut: np.ndarray, x: np.ndarray, out: np.ndarray, memo: np.ndarray | None = None) -> None:
        """``out[i] = lut[x[i] - lo]``, clamping values outside ``lo .. hi``
        (integer plans always give a LUT, one entry per bin)."""
        cpu = kernels(x)
        if not self.direct:
            cpu.apply_levels(x, self.lo, self.hi, lut, out)
        elif lut.itemsize == 1 and _contiguous_bytes(x) and _contiguous_bytes(out):
            cpu.apply_bytes(x, lut, out)
        else:  # every value of x is a bin
            cpu.apply_direct(x, lut, out)


#: The bins of uint8 and uint16 images: one per level, each value its own bin.
BYTE_LEVELS = LevelBins(np.uint8(0), np.uint8(255), direct=True)
WORD_LEVELS = LevelBins(np.uint16(0), np.uint16(0xFFFF), direct=True)


def _contiguous_bytes(line: np.ndarray) -> bool:
    return line.itemsize == 1 and line.strides == (1,)


@dataclass(frozen=True)
class EqualBins:
    """Equal-width bins computed exactly as ``np.histogram`` does.

    The scalars carry the dtypes numpy's own arithmetic uses: values are
    converted to ``edges.dtype`` (by adding ``zero``), shifted by ``first``,
    divided by ``denom`` and scaled by ``nbins_f``; the bin is then corrected
    against the ``edges``, and the last bin includes the last edge.
    ``ends``: the range as it was given (numpy integers stay exact, and a
    single value is not yet widened to ``v +- 0.5``).
    """

    zero: np.floating
    first: np.floating
    last: np.floating
    denom: np.floating
    nbins_f: np.floating
    bin_edges: np.ndarray
    ends: tuple[Edge, Edge] | None = None

    @classmethod
    def between(cls, first: Edge, last: Edge, nbins: int, dtype: np.dtype) -> EqualBins:
        """Bins of ``np.histogram(a, bins=nbins, range=(first, last))`` for an
        array ``a`` of ``dtype``; ``first``/``last`` as numpy would receive them
        (numpy scalars of ``dtype`` from ``a.min()``/``a.max()``, or Python
        numbers from a user's range)."""
        ends = (first, last)
        if first == last:
            first = first - 0.5
            last = last + 0.5
        bin_type = np.result_type(first, last, np.empty(0, dtype))
        if is_integer(bin_type):
            bin_type = np.result_type(bin_type, float)
        edges = np.linspace(first, last, nbins + 1, endpoint=True, dtype=bin_type)
        if np.any(edges[:-1] >= edges[1:]):
            raise ZeroWidthBins(
                f"nbins={nbins} is too many bins for the value range [{first}, {last}] "
                f"in {bin_type}: bins would have zero width (use a smaller nbins)"
            )
        if isinstance(first, (int, np.integer)) and isinstance(last, (int, np.integer)):
            # numpy subtracts integer edges in unsigned arithmetic: exact.
            denom = np.float64(int(last) - int(first))
        else:
            denom = np.subtract(last, first, dtype=np.result_type(last, first))
        scale_type = np.result_type(bin_type, denom)
        return cls(
            zero=bin_type.type(-0.0),  # v + -0.0 == v exactly, for every v
            first=bin_type.type(first),
            last=bin_type.type(last),
            denom=denom,
            nbins_f=scale_type.type(nbins),
            bin_edges=edges,
            ends=ends,
        )

    @property
    def nbins(self) -> int:
        return self.bin_edges.size - 1

    def edges(self) -> np.ndarray:
        """The ``nbins + 1`` edges, in numpy's bin dtype."""
        return self.bin_edges

    def centres(self) -> np.ndarray:
        """Bin midpoints as scikit-image computes them (in the edges' dtype)."""
        return (self.bin_edges[:-1] + self.bin_edges[1:]) / 2.0

    def _spec(self, size: int) -> tuple:
        # The kernels' arguments; lines of ``size`` pixels that repay building
        # the grid get it.
        grid = self._grid if size >= _GRID_MIN_PIXELS else _NO_GRID
        return (self.zero, self.first, self.last, self.denom, self.nbins_f, self.bin_edges, *grid)

    @cached_property
    def _grid(self) -> tuple:
        """``(offset, scale, cells)``: a grid of :data:`_GRID_CELLS` cells over
        ``[first, last]`` whose ``cells[c]`` is the bin of every value in cell
        ``c``, or -1 where a cell or its neighbours touch an edge (there the
        kernels use numpy's arithmetic). Within a cell of an edge, rounding
        decides, and numpy's estimate is then within one bin of the exact one;
        elsewhere the bin is certain. Bins narrow enough for rounding to matter
        get no grid."""
        first, last, nbins = float(self.first), float(self.last), self.nbins
        slack = 1024 * np.finfo(self.bin_edges.dtype).eps * max(abs(first), abs(last))
        if nbins > _GRID_MAX_BINS or (last - first) / nbins <= slack:
            return _NO_GRID
        scale = _GRID_CELLS / (last - first)
        # Edge k sits at cell position pos[k]; cell c is certain for bin k when
        # cells c-1 .. c+1 all lie in it: pos[k] + 1 <= c <= pos[k+1] - 2.
        pos = (self.bin_edges.astype(np.float64) - first) * scale
        low = np.maximum(np.ceil(pos[:-1] + 1), 1).astype(np.intp)
        high = np.minimum(np.floor(pos[1:] - 2), _GRID_CELLS - 2).astype(np.intp)
        lengths = np.maximum(high - low + 1, 0)
        starts = np.repeat(low - (np.cumsum(lengths) - lengths), lengths)
        # int16: small enough to stay in cache. Two spare undecided cells past
        # the end catch values that round to the last edge's cell.
        cells = np.full(_GRID_CELLS + 2, -1, np.int16)
        cells[starts + np.arange(lengths.sum())] = np.repeat(np.arange(nbins, dtype=np.int16), lengths)
        kind = self.bin_edges.dtype.type  # the kernels compute cells in this dtype
        return (kind(first), kind(scale), cells)

    def count(self, x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        cpu = kernels()
        return cpu.count_equal(x, mask, *self._spec(x.size))

    def count_for_lut(self, x: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Counts, and for large lines each pixel's bin code (uint16, 2 bytes a
        pixel), so that :meth:`apply` maps codes instead of binning again."""
        if x.size < _GRID_MIN_PIXELS or self.nbins > 0xFFFF:
            return self.count(x, mask), None
        codes = np.empty(x.size, np.uint16)
        return kernels().count_equal(x, mask, *self._spec(x.size), codes), codes

    def apply(self, mapping: Mapping, x: np.ndarray, out: np.ndarray, memo: np.ndarray | None = None) -> None:
        """``out[i] = lut[bin(x[i])]``, clamping to the end bins, or the
        interpolation of ``x[i]``; NaN stays NaN. ``memo``: the codes from
        :meth:`count_for_lut`."""
        cpu = kernels()
        if isinstance(mapping, Interp):
            cpu.apply_interp(x, mapping.xp, mapping.fp, mapping.slopes, out)
        elif memo is not None:  # codes: bins, and nbins for NaN
            table = np.append(mapping, np.nan if out.dtype.kind == "f" else 0).astype(out.dtype)
            cpu.apply_levels(memo, None, np.uint16(self.nbins), table, out)
        else:
            cpu.apply_equal(x, *self._spec(x.size), mapping, out)

    def bin_of(self, values: np.ndarray) -> np.ndarray:
        """The bin of each of ``values`` (of the image dtype), computed with
        numpy's own arithmetic as ``np.histogram`` does: -1 below the range,
        ``nbins`` above it, -2 for NaN."""
        nbins = self.nbins
        typed = values.astype(self.bin_edges.dtype)
        inside = (typed >= self.first) & (typed <= self.last)
        safe = np.where(inside, typed, self.first)
        idx = (((safe - self.first) / self.denom) * self.nbins_f).astype(np.intp)
        idx[idx == nbins] -= 1
        idx[safe < self.bin_edges[idx]] -= 1
        idx[(safe >= self.bin_edges[idx + 1]) & (idx != nbins - 1)] += 1
        idx[typed < self.first] = -1
        idx[typed > self.last] = nbins
        idx[np.isnan(typed)] = -2
        return idx


def _half_values() -> np.ndarray:
    # Every float16, indexed by its bit pattern.
    return np.arange(1 << 16, dtype=np.uint16).view(np.float16)


@dataclass(frozen=True)
class HalfBins:
    """float16 pixels, read as uint16 bit patterns, in numpy-exact equal bins.

    Counting is one uint16 histogram of the patterns; each occupied pattern's
    bin comes from :meth:`EqualBins.bin_of` (numpy's float16 arithmetic), and
    mapping is one 65536-entry table lookup per pixel. No float copy of the
    image is made.
    """

    bins: EqualBins

    @property
    def nbins(self) -> int:
        return self.bins.nbins

    def edges(self) -> np.ndarray:
        return self.bins.edges()

    def centres(self) -> np.ndarray:
        return self.bins.centres()

    @cached_property
    def _pattern_bins(self) -> np.ndarray:
        return self.bins.bin_of(_half_values())

    def count(self, x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        patterns = kernels().count_levels(x, mask, None, np.uint16(0xFFFF))
        bins = self._pattern_bins
        inside = (bins >= 0) & (bins < self.nbins)
        counts = np.zeros(self.nbins, np.int64)
        np.add.at(counts, bins[inside], patterns[inside])
        return counts

    def count_for_lut(self, x: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        return self.count(x, mask), None

    def apply(self, mapping: Mapping, x: np.ndarray, out: np.ndarray, memo: np.ndarray | None = None) -> None:
        """Map every bit pattern once, then every pixel through that table;
        ``out`` is float32 or a float16 output viewed as uint16."""
        values = _half_values()
        nan = np.isnan(values)
        if isinstance(mapping, Interp):
            table = np.interp(np.where(nan, 0, values).astype(np.float64), mapping.xp, mapping.fp)
        else:
            table = mapping[np.clip(self._pattern_bins, 0, self.nbins - 1)]
        if out.dtype == np.uint16:  # float16 output: write bit patterns
            table = table.astype(np.float16).view(np.uint16)
            table[nan] = np.arange(1 << 16, dtype=np.uint16)[nan]  # NaN stays as it was
        else:
            table = table.astype(out.dtype)
            table[nan] = np.nan
        kernels().apply_levels(x, None, np.uint16(0xFFFF), table, out)


#: Integers beyond this magnitude are not all float64 values.
EXACT_FLOAT_LIMIT = 1 << 53


@dataclass(frozen=True)
class OffsetBins:
    """Integers with levels beyond +-2**53 in equal bins, exactly.

    float64 holds such levels only every 2 (int64 near 2**63: every 2048),
    so numpy's arithmetic on the values themselves merges or empties bins,
    and cannot even make 65536 distinct edges over a range of a million
    levels there. Here each pixel's offset ``x - lo`` (exact, uint64; values
    below ``lo``, which masks leave unnumbered, count as 0) is binned by
    ``bins``: numpy's equal bins over ``0 .. hi - lo``. Used where histeq
    chooses the bins (``nbins`` not given); with ``nbins`` the bins are
    ``np.histogram``'s. Costs a uint64 copy of the line per count and per
    apply (none when bin codes are kept).
    """

    lo: np.integer
    hi: np.integer
    bins: EqualBins

    @classmethod
    def between(cls, lo: np.integer, hi: np.integer, nbins: int) -> OffsetBins:
        span = np.uint64(int(hi) - int(lo))
        return cls(lo, hi, EqualBins.between(np.uint64(0), span, nbins, np.dtype(np.uint64)))

    @property
    def nbins(self) -> int:
        return self.bins.nbins

    @property
    def ends(self) -> tuple[np.integer, np.integer]:
        """The exact range, as :attr:`EqualBins.ends`."""
        return self.lo, self.hi

    def edges(self) -> np.ndarray:
        """The ``nbins + 1`` edges as float64 values (rounded where float64
        has no such level)."""
        return self.bins.edges().astype(np.float64) + float(int(self.lo))

    def centres(self) -> np.ndarray:
        """Bin midpoints as offsets from ``lo``: the values an :class:`Interp`
        of these bins maps (:meth:`apply` hands it offsets)."""
        return self.bins.centres()

    def offsets(self, x: np.ndarray) -> np.ndarray:
        """``x - lo`` as uint64, exact; values below ``lo`` give 0."""
        offsets = x.astype(np.uint64)  # two's complement: exact modulo 2**64
        offsets -= np.uint64(int(self.lo) % 2**64)
        offsets[x < self.lo] = 0
        return offsets

    def count(self, x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        return self.bins.count(self.offsets(x), mask)

    def count_for_lut(self, x: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        return self.bins.count_for_lut(self.offsets(x), mask)

    def apply(self, mapping: Mapping, x: np.ndarray, out: np.ndarray, memo: np.ndarray | None = None) -> None:
        if memo is not None and not isinstance(mapping, Interp):  # bin codes: x is not read
            self.bins.apply(mapping, x, out, memo)
        else:
            self.bins.apply(mapping, self.offsets(x), out)

    def bin_of(self, values: np.ndarray) -> np.ndarray:
        """As :meth:`EqualBins.bin_of`, of the values' offsets."""
        return self.bins.bin_of(self.offsets(values))


Binning = LevelBins | EqualBins | HalfBins | OffsetBins


def choose_binning(
    lines: Sequence[Line],
    dtype: np.dtype,
    nbins: int | None,
    value_range: tuple[float, float] | None,
    name: str = "image",
    fit: bool = False,
) -> Binning:
    """The binning for pixel ``lines`` (all sharing one set of bins) of ``dtype``.

    Without ``value_range`` the bins span the occupied range of the counted
    pixels (for floats, the finite ones); when nothing is counted the range is
    arbitrary. Raises ValueError for infinite values, naming the array ``name``.
    ``fit``: float bins are halved in number until the occupied range holds
    distinct edges for them, instead of refusing ``nbins`` (for callers whose
    users do not choose ``nbins``); see :func:`_equal_bins`.
    """
    if is_integer(dtype):
        return _integer_binning(lines, dtype, nbins, value_range)
    if dtype == np.float16:
        return _half_binning(lines, nbins, value_range, name, fit)
    return _float_binning(lines, nbins, value_range, name, fit)


def binning_for(dtype: np.dtype, nbins: int | None, value_range: tuple[float, float] | None) -> Binning:
    """The binning of images of ``dtype`` without looking at pixels, as
    :func:`choose_binning` gives it for the same ``nbins`` and ``value_range``.
    Only 8- and 16-bit integers without ``nbins`` have bins fixed by their
    dtype; every other binning needs ``value_range`` (ValueError otherwise)."""
    if value_range is None and not (nbins is None and is_small_integer(dtype)):
        raise ValueError(
            f"value_range is needed: the bins of {dtype} images (or of any image with nbins) span a range of "
            "values; pass the value_range the counts were made with (e.g. the first and last histogram edges)"
        )
    if is_integer(dtype):
        return _integer_binning([], dtype, nbins, value_range)
    assert value_range is not None  # only 8/16-bit integers go without one (above)
    # Float bins as for an array whose min and max are value_range (numpy's
    # arithmetic then runs in the array's dtype, as it does without a range).
    low, high = (dtype.type(v) for v in value_range)
    if dtype == np.float16:
        return HalfBins(_equal_bins([], [], nbins, (low, high), dtype))
    return _equal_bins([], [], nbins, (low, high), dtype)


def _integer_binning(lines, dtype, nbins, value_range):
    kind = dtype.type
    if value_range is None and nbins is None and is_small_integer(dtype):
        info = np.iinfo(dtype)
        return LevelBins(kind(info.min), kind(info.max), direct=info.min == 0)
    low, high = value_range if value_range is not None else _integer_extent(lines)
    if nbins is None and int(high) - int(low) < MAX_LEVELS:
        return LevelBins(kind(low), kind(high))
    if nbins is None and max(-int(low), int(high)) > EXACT_FLOAT_LIMIT:
        return OffsetBins.between(kind(low), kind(high), MAX_LEVELS)
    return EqualBins.between(low, high, nbins or MAX_LEVELS, dtype)


def _integer_extent(lines):
    # Occupied range over all lines, as numpy scalars (as ``a.min()`` gives).
    cpu = kernels()
    lows, highs = [], []
    for x, m in lines:
        extent = (x.min(), x.max()) if m is None else cpu.masked_integer_range(x, m)
        if extent is not None:
            lows.append(extent[0])
            highs.append(extent[1])
    kind = lines[0][0].dtype.type
    if not lows:
        return kind(lines[0][0][0]), kind(lines[0][0][0])
    return kind(min(lows)), kind(max(highs))


def _finite_range(
    x: np.ndarray, mask: np.ndarray | None
) -> tuple[float | np.floating | None, float | np.floating | None, int]:
    # (min, max) of the finite values where ``mask`` (None, None when there are
    # none) and the number of +-inf anywhere in ``x``.
    if mask is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN lines
            low, high = np.nanmin(x), np.nanmax(x)
        if np.isinf(low) or np.isinf(high):
            return None, None, int(np.count_nonzero(np.isinf(x)))
        return (None, None, 0) if np.isnan(low) else (low, high, 0)
    return kernels().masked_float_range(x, mask)


def _check_finite(infinite: int, name: str) -> None:
    if infinite:
        raise ValueError(
            f"{name} contains {infinite} infinite value(s); histogram equalization "
            "needs finite values (NaN is allowed and ignored)"
        )


def _equal_bins(
    lows: Sequence[float | np.floating],
    highs: Sequence[float | np.floating],
    nbins: int | None,
    value_range: tuple[Edge, Edge] | None,
    dtype: np.dtype,
    fit: bool = False,
) -> EqualBins:
    # Bins over value_range, else over the finite extent found (numpy's 0..1
    # when there is none). ``fit``: a range too narrow for nbins distinct
    # edges in its dtype gets half as many bins, and so on; a single value
    # that np.histogram's v +- 0.5 leaves unmoved (large float16, ...) gets
    # one bin between its neighbouring floats.
    nbins = nbins or DEFAULT_FLOAT_BINS
    if value_range is not None:
        return EqualBins.between(*value_range, nbins, dtype)
    if not lows:
        return EqualBins.between(0, 1, nbins, dtype)
    first, last = dtype.type(min(lows)), dtype.type(max(highs))
    while True:
        try:
            return EqualBins.between(first, last, nbins, dtype)
        except ZeroWidthBins:
            if not fit:
                raise
            if nbins > 1:
                nbins //= 2
                continue
            below, above = np.nextafter(first, dtype.type(-np.inf)), np.nextafter(last, dtype.type(np.inf))
            return dataclasses.replace(EqualBins.between(below, above, 1, dtype), ends=(first, last))


def _float_binning(lines, nbins, value_range, name, fit=False):
    lows, highs = [], []
    for x, m in lines:
        low, high, infinite = _finite_range(x, m)
        _check_finite(infinite, name)
        if low is not None:
            assert high is not None  # both None or neither: no finite value counted
            lows.append(low)
            highs.append(high)
    return _equal_bins(lows, highs, nbins, value_range, lines[0][0].dtype, fit)


def _half_binning(lines, nbins, value_range, name, fit=False):
    # Extents from pattern histograms: the whole line for +-inf, the masked
    # pixels for the range.
    cpu = kernels()
    values = _half_values()
    finite = np.isfinite(values)
    lows, highs = [], []
    for x, m in lines:
        everything = cpu.count_levels(x, None, None, np.uint16(0xFFFF))
        _check_finite(int(everything[np.isinf(values)].sum()), name)
        counted = everything if m is None else cpu.count_levels(x, m, None, np.uint16(0xFFFF))
        occupied = values[(counted > 0) & finite]
        if occupied.size:
            lows.append(occupied.min())
            highs.append(occupied.max())
    return HalfBins(_equal_bins(lows, highs, nbins, value_range, np.dtype(np.float16), fit))
