"""How pixel values become histogram bins, and the kernels that count and map
through those bins.

Two kinds of binning cover every image:

- :class:`LevelBins`: one bin per integer level ``lo .. hi``. Used for 8- and
  16-bit integers (the dtype's whole range) and for wider integers whose
  occupied range spans at most :data:`MAX_LEVELS` levels.
- :class:`EqualBins`: ``nbins`` equal-width bins between two edges, bit-identical
  to ``np.histogram(values, bins=nbins, range=(first, last))``. Used for floats
  (default 256 bins) and for integers when ``nbins`` is given or their range is
  wider than :data:`MAX_LEVELS` levels (default :data:`MAX_LEVELS` bins).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._dtypes import is_integer, is_small_integer

#: Integers are counted one bin per level while their range spans at most this many levels.
MAX_LEVELS = 1 << 16
#: Bins for float images when ``nbins`` is not given (scikit-image's default too).
DEFAULT_FLOAT_BINS = 256

Line = tuple[np.ndarray, "np.ndarray | None"]


def _cpu():
    # numba is imported on first use, not with ``import histeq``.
    from .backends import cpu

    return cpu


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

    def count(self, x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        cpu = _cpu()
        lo = None if self.direct else self.lo
        return cpu.count_levels(x, mask, lo, self.hi, cpu.n_chunks(x.size))

    def apply(self, lut: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
        """``out[i] = lut[x[i] - lo]``, clamping values outside ``lo .. hi``."""
        cpu = _cpu()
        if self.direct and lut.itemsize == 1 and x.size > 1 and _pairable(x, out):
            pairs = x.size // 2
            cpu.apply_pairs(
                x[: 2 * pairs].view(np.uint16),
                cpu.pair_lut(lut),
                out[: 2 * pairs].view(np.uint16),
                cpu.n_chunks(pairs),
            )
            if x.size % 2:
                out[-1] = lut[x[-1]]
            return
        lo = None if self.direct else self.lo
        cpu.apply_levels(x, lo, self.hi, lut, out, cpu.n_chunks(x.size))


def _pairable(x: np.ndarray, out: np.ndarray) -> bool:
    # Byte lines that can be read and written as aligned uint16 pairs.
    return (
        x.strides == (1,)
        and out.strides == (1,)
        and x.ctypes.data % 2 == 0
        and out.ctypes.data % 2 == 0
    )


@dataclass(frozen=True)
class EqualBins:
    """Equal-width bins computed exactly as ``np.histogram`` does.

    The scalars carry the dtypes numpy's own arithmetic uses: values are
    converted to ``edges.dtype`` (by adding ``zero``), shifted by ``first``,
    divided by ``denom`` and scaled by ``nbins_f``; the bin is then corrected
    against the ``edges``, and the last bin includes the last edge.
    """

    zero: np.floating
    first: np.floating
    last: np.floating
    denom: np.floating
    nbins_f: np.floating
    bin_edges: np.ndarray

    @classmethod
    def between(cls, first: object, last: object, nbins: int, dtype: np.dtype) -> "EqualBins":
        """Bins of ``np.histogram(a, bins=nbins, range=(first, last))`` for an
        array ``a`` of ``dtype``; ``first``/``last`` as numpy would receive them
        (numpy scalars of ``dtype`` from ``a.min()``/``a.max()``, or Python
        numbers from a user's range)."""
        if first == last:
            first = first - 0.5
            last = last + 0.5
        bin_type = np.result_type(first, last, np.empty(0, dtype))
        if is_integer(bin_type):
            bin_type = np.result_type(bin_type, float)
        edges = np.linspace(first, last, nbins + 1, endpoint=True, dtype=bin_type)
        if np.any(edges[:-1] >= edges[1:]):
            raise ValueError(
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
            zero=bin_type.type(0),
            first=bin_type.type(first),
            last=bin_type.type(last),
            denom=denom,
            nbins_f=scale_type.type(nbins),
            bin_edges=edges,
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

    def _args(self) -> tuple:
        return (self.zero, self.first, self.last, self.denom, self.nbins_f, self.bin_edges)

    def count(self, x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        cpu = _cpu()
        return cpu.count_bins(x, mask, *self._args(), cpu.n_chunks(x.size))

    def apply(self, lut: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
        """``out[i] = lut[bin(x[i])]``, clamping to the end bins; NaN stays NaN."""
        cpu = _cpu()
        cpu.apply_bins(x, *self._args(), lut, out, cpu.n_chunks(x.size))


Binning = LevelBins | EqualBins


def choose_binning(
    lines: Sequence[Line],
    dtype: np.dtype,
    nbins: int | None,
    value_range: tuple | None,
) -> Binning:
    """The binning for pixel ``lines`` (all sharing one set of bins) of ``dtype``.

    Without ``value_range`` the bins span the occupied range of the counted
    pixels (for floats, the finite ones); when nothing is counted the range is
    arbitrary. Raises ValueError for infinite values.
    """
    if is_integer(dtype):
        return _integer_binning(lines, dtype, nbins, value_range)
    return _float_binning(lines, nbins, value_range)


def _integer_binning(lines, dtype, nbins, value_range):
    kind = lines[0][0].dtype.type
    if value_range is None and nbins is None and is_small_integer(dtype):
        info = np.iinfo(dtype)
        return LevelBins(kind(info.min), kind(info.max), direct=info.min == 0)
    low, high = value_range if value_range is not None else _integer_extent(lines)
    if nbins is None and int(high) - int(low) < MAX_LEVELS:
        return LevelBins(kind(low), kind(high))
    return EqualBins.between(low, high, nbins or MAX_LEVELS, dtype)


def _integer_extent(lines):
    # Occupied range over all lines, as numpy scalars (as ``a.min()`` gives).
    cpu = _cpu()
    low = high = None
    for x, m in lines:
        lo, hi, n = cpu.integer_range(x, m, cpu.n_chunks(x.size))
        if n:
            low = lo if low is None else min(low, lo)
            high = hi if high is None else max(high, hi)
    if low is None:
        low = high = lines[0][0][0]
    kind = lines[0][0].dtype.type
    return kind(low), kind(high)


def _float_binning(lines, nbins, value_range):
    cpu = _cpu()
    kind = lines[0][0].dtype.type
    low = high = None
    for x, m in lines:
        lo, hi, n, infinite = cpu.float_range(x, m, cpu.n_chunks(x.size))
        if infinite:
            raise ValueError(
                f"image contains {infinite} infinite value(s); histogram equalization "
                "needs finite values (NaN is allowed and ignored)"
            )
        if n:
            low = lo if low is None else min(low, lo)
            high = hi if high is None else max(high, hi)
    nbins = nbins or DEFAULT_FLOAT_BINS
    dtype = lines[0][0].dtype
    if value_range is not None:
        return EqualBins.between(*value_range, nbins, dtype)
    if low is None:
        return EqualBins.between(0, 1, nbins, dtype)  # numpy's range for no values
    return EqualBins.between(kind(low), kind(high), nbins, dtype)
