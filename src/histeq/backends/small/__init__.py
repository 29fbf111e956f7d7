"""The numpy backend for small one-shot work: no compiled kernels to load.

A process that equalizes one photo (``histeq equalize one.jpg``, a script)
would spend more time importing numba and loading its cached kernels (about
0.7 s; several seconds of compilation right after ``pip install``) than on the
pixels. This backend does the common work in plain numpy instead, bit for bit
as the compiled kernels: counting 8- and 16-bit levels (:func:`count_bytes`,
:func:`count_words`, :func:`count_levels`, :func:`count_rgb`) and equal-width
bins (:func:`count_equal`, ``np.histogram``'s), mapping through LUTs
(:func:`apply_bytes`, :func:`apply_direct`, :func:`apply_levels`,
:func:`apply_equal`, :func:`apply_rgb`), the 8-bit
OpenCV plan (:func:`opencv_byte_offsets`), histogram matching's plan
(:func:`interp_cdf`), the uint8 YCrCb and Lab round trips of
``color="ycrcb"`` and ``"lab"`` (:mod:`.colour_lut`, their split and merge
in :mod:`.colour` and :mod:`.colour_lab`) and OpenCV's CLAHE (tile LUTs
:mod:`.tiles`, blend :mod:`.tile_blend`). Everything else it hands to the
compiled backend (:func:`histeq.backends.compiled`): asking this module for a
kernel it does not have loads numba.

:func:`histeq.backends.kernels` returns it by the rule of :func:`serves`:
while the compiled backend is not loaded, and while the time spent here stays
below what loading it would have cost, so that a long loop ends on the
compiled kernels. Results never depend on which backend ran.

Memory: these functions work through blocks of at most :data:`BLOCK`
elements (their int64/int32 temporaries stay in the cache; the colour round
trips run their blocks of rows on the kernels' threads, numpy's loops
releasing the GIL); the whole image is never copied.
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "BLOCK",
    "LOAD_SECONDS",
    "MAX_ELEMENTS",
    "MODE",
    "apply_bytes",
    "apply_direct",
    "apply_equal",
    "apply_levels",
    "apply_rgb",
    "count_bytes",
    "count_equal",
    "count_levels",
    "count_rgb",
    "count_words",
    "interp_cdf",
    "opencv_byte_offsets",
    "serves",
]

#: Elements per block of the numpy loops (temporaries of a few hundred KB).
BLOCK = 1 << 16
#: What loading the compiled backend costs a process with a warm numba cache
#: (importing numba and the kernel modules, then loading the cached kernels
#: of a path: 0.2 + 0.15 - 0.2 s of CPU on this project's 2-core VM for the
#: YCrCb path, about twice that in wall time on a busy machine; seconds of
#: compilation on an empty cache): numpy serves until its own time reaches this.
LOAD_SECONDS = 0.5
#: Arrays of more elements go to the compiled backend at once: numpy's extra
#: time on one of them would alone repay loading it (measured on the
#: equalize paths: 2.3 ns an element for uint8 grey, 3.7 for the YCrCb round
#: trip, 4.7 for RGB channels, against 0.3 - 1 for the kernels; CLAHE has its
#: own limit, :data:`.tiles.MAX_PIXELS`).
MAX_ELEMENTS = 1 << 27

#: ``HISTEQ_BACKEND``: ``"auto"`` (default) the rule of :func:`serves`;
#: ``"numba"`` the compiled kernels always; ``"numpy"`` this backend wherever
#: it has the kernel, whatever the time spent (tests, comparisons).
MODE = os.environ.get("HISTEQ_BACKEND", "auto").strip().lower() or "auto"
if MODE not in ("auto", "numba", "numpy"):
    raise ValueError(f"HISTEQ_BACKEND must be 'auto', 'numba' or 'numpy'; got {MODE!r}")

_spent = 0.0
_lock = threading.Lock()

_F = TypeVar("_F", bound=Callable[..., Any])


def serves(array: object = None, *, loaded: bool = False) -> bool:
    """Whether this backend should take work on ``array`` (None: work that
    touches no pixels, such as a plan): the compiled backend is not
    ``loaded``, the time spent here so far is below :data:`LOAD_SECONDS`
    and ``array`` has at most :data:`MAX_ELEMENTS` elements (other objects
    count as small: what this backend does not have goes to the compiled one
    anyway). :data:`MODE` ``"numba"``: never; ``"numpy"``: always."""
    if MODE != "auto":
        return MODE == "numpy"
    if loaded or _spent >= LOAD_SECONDS:
        return False
    size = getattr(array, "size", 0)
    return not isinstance(size, int) or size <= MAX_ELEMENTS


def timed(function: _F) -> _F:
    """``function``, with the time it takes added to what :func:`serves` weighs."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        global _spent
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            with _lock:
                _spent += time.perf_counter() - start

    return run  # type: ignore[return-value]


#: Kernel modules of their own: YCrCb and 8-bit Lab (two-pass round trips;
#: split and merge), CLAHE's tile LUTs and blend.
_MODULES = ("colour", "colour_lab", "colour_lut", "tiles", "tile_blend")


def _compiled() -> ModuleType:
    from .. import compiled

    return compiled()


def _delegate(name: str, module: str = "") -> Any:
    # The compiled backend's kernel ``name`` (of its kernel module ``module``);
    # special names (``__path__``, ... which the import system probes) are
    # not kernels and load nothing.
    if name.startswith("__"):
        raise AttributeError(name)
    compiled = _compiled()
    return getattr(getattr(compiled, module) if module else compiled, name)


def __getattr__(name: str) -> Any:
    # A kernel this backend does not have: the compiled backend's (loads numba).
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    return _delegate(name)


from .equal_bins import apply_equal, count_equal  # noqa: E402  (they use timed and BLOCK)


def _blocks(size: int, step: int = BLOCK) -> range:
    return range(0, size, step)


def _bincount(x: np.ndarray, levels: int) -> np.ndarray:
    # int64 counts of the integer levels 0 .. levels - 1 of a 1-D line, in blocks.
    counts = np.zeros(levels, np.int64)
    for start in _blocks(x.size):
        counts += np.bincount(x[start : start + BLOCK], minlength=levels)
    return counts


@timed
def count_bytes(x: np.ndarray) -> np.ndarray:
    """Histogram of a uint8 line. Returns int64 counts of length 256."""
    return _bincount(x, 256)


@timed
def count_words(x: np.ndarray) -> np.ndarray:
    """Histogram of a uint16 line (any stride). Returns int64 counts of length 65536."""
    return _bincount(x, 65536)


@timed
def apply_bytes(x: np.ndarray, lut: np.ndarray, out: np.ndarray) -> None:
    """``out = lut[x]`` for byte lines."""
    _take(lut, x, out)


@timed
def apply_direct(x: np.ndarray, lut: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = lut[x[i]]`` for an unsigned ``x`` and a LUT with an entry for
    every value of its dtype."""
    _take(lut, x, out)


def _offsets(x: np.ndarray, lo: np.integer) -> np.ndarray:
    # x - lo for integers x >= lo, exact (in the unsigned type of their width), as intp.
    unsigned = np.dtype(f"u{x.dtype.itemsize}")
    return (x.view(unsigned) - np.asarray(lo, x.dtype).view(unsigned)).astype(np.intp)


@timed
def count_levels(x: np.ndarray, mask: np.ndarray | None, lo: np.integer | None, hi: np.integer) -> np.ndarray:
    """Histogram of the integers ``lo .. hi`` (``lo=None``: unsigned values
    ``0 .. hi``, each its own bin) of a line, only where ``mask`` is True
    (None: everywhere). Values outside the range are not counted. Returns
    int64 counts of length ``hi - lo + 1``."""
    nbins = int(hi) + 1 if lo is None else int(hi) - int(lo) + 1
    counts = np.zeros(nbins, np.int64)
    for start in _blocks(x.size):
        values = x[start : start + BLOCK]
        if mask is not None:
            values = values[mask[start : start + BLOCK]]
        if lo is not None:
            values = _offsets(values[(values >= lo) & (values <= hi)], lo)
        counts += np.bincount(values.astype(np.intp, copy=False), minlength=nbins)
    return counts


@timed
def apply_levels(x: np.ndarray, lo: np.integer | None, hi: np.integer, lut: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = lut[x[i] - lo]``; values below ``lo`` or above ``hi`` take
    the LUT's first or last entry (``lo=None``: unsigned ``x``, ``lut[x]``)."""
    last = lut.size - 1
    for start in _blocks(x.size):
        values = x[start : start + BLOCK]
        bins = values.astype(np.intp) if lo is None else _offsets(np.clip(values, lo, hi), lo)
        np.take(lut, np.minimum(bins, last), out=out[start : start + BLOCK])


def _take(lut: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    for start in _blocks(x.size):
        stop = start + BLOCK
        np.take(lut, x[start:stop], out=out[start:stop], mode="clip")


def _triples(x: np.ndarray, step: int) -> np.ndarray:
    # The (pixels, 3) samples of a line of RGB bytes, a pixel every ``step``
    # bytes, that ends with its last pixel's blue byte (a view).
    pixels = (x.size + step - 3) // step
    return np.lib.stride_tricks.as_strided(x, (pixels, 3), (step * x.strides[0], x.strides[0]))


@timed
def count_rgb(x: np.ndarray, step: int = 3) -> np.ndarray:
    """Per-channel histograms of a line of interleaved RGB bytes, a pixel every
    ``step`` bytes (3: RGB; 4: RGBX or RGBA, the 4th byte not read). Returns
    int64 counts of shape ``(3, 256)``."""
    samples = _triples(x, step)
    counts = np.zeros(3 * 256, np.int64)
    channel = np.array([0, 256, 512], np.intp)
    rows = BLOCK // 3
    for start in _blocks(samples.shape[0], rows):
        codes = samples[start : start + rows] + channel  # intp: the channel's bin
        counts += np.bincount(codes.reshape(-1), minlength=3 * 256)
    return counts.reshape(3, 256)


@timed
def apply_rgb(x: np.ndarray, luts: np.ndarray, out: np.ndarray, x_step: int = 3, out_step: int = 3) -> None:
    """``out = luts[channel][x]`` for lines of interleaved RGB bytes (see
    :func:`count_rgb`; the 4th bytes of ``out`` are left alone); ``luts`` is
    uint8 of shape ``(3, 256)``."""
    source, target = _triples(x, x_step), _triples(out, out_step)
    for channel in range(3):
        _take(luts[channel], source[:, channel], target[:, channel])


@timed
def opencv_byte_offsets(counts: np.ndarray) -> np.ndarray | None:
    """cv2.equalizeHist's LUT for int64 ``counts`` (any number of bins): uint8
    offsets ``0 .. 255`` above the lowest output level, or None when fewer than
    two bins are occupied. ``round_half_even((cdf - h[v0]) * float32(255 / (N -
    h[v0])))`` in float32, 0 below ``v0``, the lowest occupied bin."""
    occupied = np.flatnonzero(counts)
    total = int(counts.sum())
    if occupied.size == 0 or int(counts[occupied[0]]) == total:
        return None
    first = int(counts[occupied[0]])
    scale = np.float32(255) / np.float32(total - first)
    shifted = np.maximum(np.cumsum(counts) - first, 0).astype(np.float32)
    return np.rint(shifted * scale).astype(np.uint8)


@timed
def interp_cdf(counts, ref_counts, ref_values, out, top=None) -> None:
    """``out = np.interp(cumsum(counts) / counts.sum(), G, ref_values[occupied])``
    (the compiled kernel reproduces ``np.interp``; this is it), ``G`` the
    cumulative fractions of ``ref_counts`` at its occupied bins. Both counts
    int64 with at least one pixel, ``ref_values`` float64; ``out`` float64,
    or with ``top`` (a float) unsigned levels: each value rounded half to
    even and clipped to ``0 .. top``."""
    occupied = np.flatnonzero(ref_counts)
    fractions = np.cumsum(ref_counts[occupied]) / ref_counts.sum()
    mapped = np.interp(np.cumsum(counts) / counts.sum(), fractions, ref_values[occupied])
    if top is not None:
        mapped = np.minimum(np.maximum(np.rint(mapped), 0.0), top)
    out[...] = mapped
