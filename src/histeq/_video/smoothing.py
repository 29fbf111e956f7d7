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


def histogram_distance(counts: np.ndarray, mean: np.ndarray) -> float:
    """The scene-cut distance between a frame's histograms and the state's:
    per row, the earth mover's distance between the two normalized
    histograms in units of the bin range (``sum |cdf_a - cdf_b| / (bins - 1)``:
    0 for equal histograms, 1 when every pixel moved from the first bin to the
    last; a shift of every pixel by ``d`` bins gives ``d / (bins - 1)``),
    averaged over the rows where both count pixels (0 if none)."""
    frame_totals = counts.sum(axis=-1, dtype=np.float64, keepdims=True)
    state_totals = mean.sum(axis=-1, keepdims=True)
    rows = (frame_totals[:, 0] > 0) & (state_totals[:, 0] > 0)
    bins = counts.shape[-1]
    if not rows.any() or bins < 2:
        return 0.0
    if not rows.all():
        counts, mean = counts[rows], mean[rows]
        frame_totals, state_totals = frame_totals[rows], state_totals[rows]
    difference = counts / frame_totals  # the cdfs' difference is the cumulative sum of the pdfs'
    difference -= mean / state_totals
    np.cumsum(difference, axis=-1, out=difference)
    np.abs(difference, out=difference)
    return float(difference.sum() / (difference.shape[0] * (bins - 1)))


class Smoothed:
    """The exponential moving average of one stream of histograms.

    ``push(counts)`` adds a frame; ``counts()`` is the smoothed histogram as
    integers (the frame's own counts while the state holds one frame);
    ``reset()`` forgets every frame (a scene cut). A frame whose histograms
    have another shape than the state's (bins that follow the frame's range
    and changed in number) resets it too.
    """

    def __init__(self, decay: float) -> None:
        self.decay = decay
        self.reset()

    def reset(self) -> None:
        """Forget every frame."""
        self._mean: np.ndarray | None = None
        self._last: np.ndarray | None = None
        self._frames = 0

    def matches(self, counts: np.ndarray) -> bool:
        """Whether the state holds frames whose histograms have ``counts``' shape."""
        return self._mean is not None and self._mean.shape == counts.shape

    def distance(self, counts: np.ndarray) -> float:
        """:func:`histogram_distance` of ``counts`` to the state (inf without a
        state of that shape: nothing to smooth with)."""
        if self._mean is None or not self.matches(counts):
            return math.inf
        return histogram_distance(counts, self._mean)

    def push(self, counts: np.ndarray) -> None:
        """Add a frame's int64 ``counts``."""
        if self._mean is None or self.decay == 0.0 or not self.matches(counts):
            self._mean = counts.astype(np.float64)
            self._frames = 1
        else:
            self._mean *= self.decay / (1.0 - self.decay)  # a * mean + (1 - a) * counts, one temporary less
            self._mean += counts
            self._mean *= 1.0 - self.decay
            self._frames += 1
        self._last = counts

    def counts(self, ahead: Sequence[np.ndarray] = ()) -> np.ndarray:
        """The smoothed int64 histograms; with ``ahead`` (the next frames'
        counts of the same scene, nearest first) the centred mean: the state
        (the past, weighted ``sum_k a**k = 1 / (1 - a)``) and frame ``t + k``
        weighted ``a**k``, as frame ``t - k`` is."""
        assert self._mean is not None and self._last is not None  # pushed before
        ahead = ahead if self.decay > 0.0 else ()
        if self._frames == 1 and not ahead:
            return self._last
        if not ahead:
            return integer_counts(self._mean)
        weight = 1.0 / (1.0 - self.decay)
        total = self._mean * weight
        for k, future in enumerate(ahead, start=1):
            total += self.decay**k * future
            weight += self.decay**k
        return integer_counts(total / weight)
