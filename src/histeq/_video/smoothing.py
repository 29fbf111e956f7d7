"""Histograms smoothed over frames, and the distance that finds scene cuts.

A frame's histograms (one row per channel, or per CLAHE tile) enter an
exponential moving average: the first frame of a scene is the state,
``s_0 = h_0``, and every later frame moves it by ``s_t = a s_(t-1) + (1 - a)
h_t`` with ``a = exp(-1 / smoothing)``: a frame's weight falls by ``e`` every
``smoothing`` frames, and the newest frame weighs ``1 - a`` (0.049 for
``smoothing=20``) from the second frame of a scene on. The state is made into
integer counts that sum to the frame's pixels (:func:`integer_counts`),
which the plan code of a still image takes as it takes any histogram.

State: one float64 array of the histograms' shape (and the last frame's
counts), whatever the number of frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def decay_of(smoothing: float) -> float:
    """``a = exp(-1 / smoothing)``: the weight the previous frames keep (0 for
    ``smoothing=0``: each frame alone)."""
    return math.exp(-1.0 / smoothing) if smoothing > 0 else 0.0


def integer_counts(mean: np.ndarray) -> np.ndarray:
    """int64 counts of float ``mean`` histograms (rows), rounded as their
    cumulative sums: ``diff(rint(cumsum(mean)))``. Each row keeps its total
    (rounded), every count is non-negative, and integer ``mean`` comes back
    unchanged; bins whose share of a pixel has faded away count 0."""
    cumulative = np.cumsum(mean, axis=-1)
    np.rint(cumulative, out=cumulative)
    counts = np.empty(mean.shape, np.int64)
    counts[..., 0] = cumulative[..., 0]
    np.subtract(cumulative[..., 1:], cumulative[..., :-1], out=counts[..., 1:], casting="unsafe")
    return counts


def histogram_distance(counts: np.ndarray, mean: np.ndarray, bins: int = 0) -> float:
    """The scene-cut distance between a frame's histograms and the state's:
    per row, the earth mover's distance between the two normalized
    histograms in units of the bin range (``sum |cdf_a - cdf_b| / (bins - 1)``:
    0 for equal histograms, 1 when every pixel moved from the first bin to the
    last; a shift of every pixel by ``d`` bins gives ``d / (bins - 1)``),
    averaged over the rows where both count pixels (0 if none). ``bins``:
    the binning's number of bins, when the columns are a window of them.

    Float sums run in order, bin after bin and row after row (``cumsum``, not
    numpy's pairwise ``sum``), as the compiled twin of the uint8 video path
    (:func:`histeq.backends.cpu.plane_lut.count_smooth_map`) adds them: both
    give the same distance to the last bit."""
    frame_totals = counts.sum(axis=-1, dtype=np.float64, keepdims=True)  # integers: exact in any order
    state_totals = np.cumsum(mean, axis=-1)[:, -1:]
    rows = (frame_totals[:, 0] > 0) & (state_totals[:, 0] > 0)
    bins = max(bins, counts.shape[-1])
    if not rows.any() or bins < 2:
        return 0.0
    if not rows.all():
        counts, mean = counts[rows], mean[rows]
        frame_totals, state_totals = frame_totals[rows], state_totals[rows]
    difference = counts / frame_totals  # the cdfs' difference is the cumulative sum of the pdfs'
    difference -= mean / state_totals
    np.cumsum(difference, axis=-1, out=difference)
    np.abs(difference, out=difference)
    return float(np.cumsum(difference.reshape(-1))[-1] / (difference.shape[0] * (bins - 1)))


@dataclass(frozen=True)
class Histograms:
    """Rows of int64 counts of the bins ``first .. first + n - 1`` of a
    binning of ``size`` bins (columns), e.g. the occupied range of a 16-bit
    plane; bins outside hold nothing."""

    counts: np.ndarray
    first: int = 0
    size: int = 0

    @property
    def end(self) -> int:
        return self.first + self.counts.shape[-1]

    def within(self, first: int, end: int, dtype: type = np.int64) -> np.ndarray:
        """The counts over the bins ``first .. end - 1``: the array itself when
        they are its bins, else a copy, zero where it has no bins (and
        without the bins outside: callers leave out empty ones only)."""
        if (first, end) == (self.first, self.end) and self.counts.dtype == dtype:
            return self.counts
        window = np.zeros((*self.counts.shape[:-1], end - first), dtype)
        low, high = max(first, self.first), min(end, self.end)
        if low < high:
            window[..., low - first : high - first] = self.counts[..., low - self.first : high - self.first]
        return window


class Smoothed:
    """The exponential moving average of one stream of histograms.

    ``push(histograms)`` adds a frame; ``counts()`` is the smoothed
    histogram as integers (the frame's own counts while the state holds one
    frame); ``reset()`` forgets every frame (a scene cut). A frame whose
    histograms are of another binning (another number of rows, or of bins:
    bins that follow the frame's range and changed in number) resets it
    too. The state spans the bins its frames occupied, widened as frames
    occupy more.
    """

    def __init__(self, decay: float) -> None:
        self.decay = decay
        self.reset()

    def reset(self) -> None:
        """Forget every frame."""
        self._mean: np.ndarray | None = None
        self._first = 0
        self._size = 0
        self._last: Histograms | None = None
        self._frames = 0

    def matches(self, histograms: Histograms) -> bool:
        """Whether the state holds frames of ``histograms``' binning."""
        return (
            self._mean is not None
            and self._size == histograms.size
            and self._mean.shape[:-1] == histograms.counts.shape[:-1]
        )

    def distance(self, histograms: Histograms) -> float:
        """:func:`histogram_distance` of ``histograms`` to the state (inf
        without a state of that binning: nothing to smooth with)."""
        if self._mean is None or not self.matches(histograms):
            return math.inf
        first, end = self._span([histograms])
        state = self._state().within(first, end, np.float64)
        return histogram_distance(histograms.within(first, end), state, self._size)

    def levels_state(self, bins: int) -> tuple[np.ndarray, bool]:
        """For histograms of one row over all ``bins`` bins (uint8 levels):
        the state's mean histogram (float64, ``(bins,)``, to update in place)
        and whether it holds frames; a new zero array and False when it holds
        none of that binning. See :meth:`adopt`."""
        if self._mean is not None and self._first == 0 and self._mean.shape == (1, bins) and self._size == bins:
            return self._mean[0], True
        return np.zeros(bins), False

    def adopt(self, histograms: Histograms, mean: np.ndarray, restarted: bool) -> None:
        """A frame pushed by compiled code, as :meth:`push` would have:
        ``mean`` the array of :meth:`levels_state`, updated by the frame
        (the frame's counts if ``restarted``: a new scene, no smoothing)."""
        self._mean = mean.reshape(1, -1)
        self._first, self._size = 0, histograms.size
        self._frames = 1 if restarted else self._frames + 1
        self._last = histograms

    def push(self, histograms: Histograms) -> None:
        """Add a frame's histograms."""
        if self._mean is None or self.decay == 0.0 or not self.matches(histograms):
            self._mean = histograms.counts.astype(np.float64)
            self._first, self._size, self._frames = histograms.first, histograms.size, 1
        else:
            first, end = self._span([histograms])
            self._mean = self._state().within(first, end, np.float64)
            self._first = first
            self._mean *= self.decay / (1.0 - self.decay)  # a * mean + (1 - a) * counts, one temporary less
            self._mean += histograms.within(first, end)
            self._mean *= 1.0 - self.decay
            self._frames += 1
        self._last = histograms

    def counts(self, ahead: Sequence[Histograms] = ()) -> Histograms:
        """The smoothed histograms, as integers; with ``ahead`` (the next
        frames' histograms of the same scene, nearest first) the centred
        mean: the state (the past, weighted ``sum_k a**k = 1 / (1 - a)``) and
        frame ``t + k`` weighted ``a**k``, as frame ``t - k`` is."""
        assert self._mean is not None and self._last is not None  # pushed before
        ahead = ahead if self.decay > 0.0 else ()
        if self._frames == 1 and not ahead:
            return self._last
        if not ahead:
            return Histograms(integer_counts(self._mean), self._first, self._size)
        first, end = self._span(ahead)
        weight = 1.0 / (1.0 - self.decay)
        total = self._state().within(first, end, np.float64) * weight
        for k, future in enumerate(ahead, start=1):
            total += self.decay**k * future.within(first, end)
            weight += self.decay**k
        return Histograms(integer_counts(total / weight), first, self._size)

    def _state(self) -> Histograms:
        assert self._mean is not None
        return Histograms(self._mean, self._first, self._size)

    def _span(self, others: Sequence[Histograms]) -> tuple[int, int]:
        # The bins of the state and of ``others`` together.
        assert self._mean is not None
        first = min(self._first, *(h.first for h in others))
        end = max(self._first + self._mean.shape[-1], *(h.end for h in others))
        return first, end
