"""The smoothed state: integer counts from the moving average, the scene-cut
distance, and the flicker bound of the issue on a synthetic clip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import histeq
from histeq._video.smoothing import Histograms, Smoothed, decay_of, histogram_distance, integer_counts


@given(arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 300)), elements=st.floats(0, 1e6)))
def test_integer_counts_keep_totals(mean: np.ndarray) -> None:
    counts = integer_counts(mean)
    assert counts.dtype == np.int64 and (counts >= 0).all()
    np.testing.assert_array_equal(counts.sum(axis=-1), np.rint(np.cumsum(mean, axis=-1)[:, -1]))
    np.testing.assert_array_equal(integer_counts(np.rint(mean)), np.rint(mean))  # integers come back


def test_distance_units() -> None:
    counts = np.zeros((1, 256), np.int64)
    counts[0, 10] = 100
    moved = np.roll(counts, 51, axis=-1)
    assert histogram_distance(counts, counts.astype(float)) == 0.0
    assert abs(histogram_distance(moved, counts.astype(float)) - 51 / 255) < 1e-12
    ends = np.zeros((1, 256), np.int64)
    ends[0, -1] = 7
    first = np.zeros((1, 256))
    first[0, 0] = 3.0
    assert abs(histogram_distance(ends, first) - 1.0) < 1e-12
    assert histogram_distance(np.zeros((2, 256), np.int64), first.repeat(2, axis=0)) == 0.0  # nothing counted


def test_moving_average_weights() -> None:
    state = Smoothed(decay_of(20))
    a, b = Histograms(np.array([[100, 0]]), 0, 2), Histograms(np.array([[0, 100]]), 0, 2)
    state.push(a)
    assert state.counts() is a  # a scene's first frame: itself
    state.push(b)
    weight = 1 - np.exp(-1 / 20)  # the newest frame's
    np.testing.assert_array_equal(state.counts().counts, [[round(100 * (1 - weight)), round(100 * weight)]])


def test_bin_windows_widen() -> None:
    state = Smoothed(0.5)
    state.push(Histograms(np.array([[4, 4]]), 10, 100))  # bins 10, 11
    assert state.distance(Histograms(np.array([[8]]), 12, 100)) == pytest.approx((0.5 + 1) / 99)
    state.push(Histograms(np.array([[8]]), 12, 100))  # bin 12: the state spans 10 .. 12
    smoothed = state.counts()
    assert (smoothed.first, smoothed.counts.tolist()) == (10, [[2, 2, 4]])
    centred = state.counts([Histograms(np.array([[8]]), 9, 100)])  # one frame ahead, weighted 0.5
    assert (centred.first, centred.counts.tolist()) == (9, [[2, 1, 2, 3]])  # rint(cumsum([1.6, 1.6, 1.6, 3.2]))
    assert state.distance(Histograms(np.array([[8]]), 12, 50)) == float("inf")  # another binning


def clip(frames: int = 60, seed: int = 0) -> np.ndarray:
    """A static low-contrast background; a bright object in frames 10-39; a
    scene cut to another low-contrast scene at frame 45."""
    rng = np.random.default_rng(seed)
    video = np.repeat(rng.integers(100, 131, size=(48, 64), dtype=np.uint8)[None], frames, axis=0)
    video[10:40, 8:40, 40:] = 230
    video[45:] = rng.integers(20, 61, size=(48, 64), dtype=np.uint8)
    return video


def _largest_step(video: np.ndarray, stop: int = 45) -> float:
    # the static background's (columns 0..19) mean, frame to frame, before the cut
    means = video[:stop, :, :20].reshape(stop, -1).mean(axis=1)
    return float(np.abs(np.diff(means)).max())


def test_flicker_bound_and_scene_cut() -> None:
    video = clip()
    per_frame = np.stack([histeq.equalize(frame) for frame in video])
    assert _largest_step(per_frame) > 30  # the flicker: tens of levels
    equalizer = histeq.VideoEqualizer()  # default smoothing and scene_cut
    smoothed = np.stack([equalizer.apply(frame) for frame in video])
    assert _largest_step(smoothed) <= 2.0
    assert equalizer.cuts == [45]  # the object entering is no cut; the new scene is
    np.testing.assert_array_equal(smoothed[45], per_frame[45])  # equalized at once
    centred = histeq.equalize_video(video, lookahead=40)
    assert _largest_step(centred) <= 1.0
    np.testing.assert_array_equal(histeq.equalize_video(video, smoothing=0), per_frame)


def test_scene_cut_none_and_zero() -> None:
    video = clip()
    never = histeq.VideoEqualizer(scene_cut=None)
    never_out = [never.apply(frame) for frame in video]
    assert never.cuts == []
    assert not np.array_equal(never_out[45], histeq.equalize(video[45]))
    always = histeq.VideoEqualizer(scene_cut=0)
    for frame in video[:12]:
        always.apply(frame)
    assert always.cuts == [10]  # any change of histogram (frame 11 equals the new state)
