"""The fused path of uint8 grey frames (count, smoothing, plan and map in one
kernel call over the threads) against the general path (count, then finish)
and per-frame ``equalize``: bit-identical, frame after frame, with
smoothing, scene cuts, out= the frame itself and padded rows."""

from __future__ import annotations

import numpy as np
import pytest

import histeq

RNG = np.random.default_rng(2121)
T, H, W = 6, 480, 640  # 307200 pixels: shared by the threads


def _clip() -> np.ndarray:
    # a dim scene, a bright object entering, then a cut to another scene
    frames = RNG.integers(50, 110, size=(T, H, W), dtype=np.uint8)
    frames[2:4, 100:300, 200:400] = 240
    frames[4:] = RNG.integers(120, 250, size=(2, H, W), dtype=np.uint8)
    return frames


@pytest.mark.parametrize("smoothing", [0, 3.0])
def test_fused_equals_general_path(smoothing: float) -> None:
    frames = _clip()
    fused = histeq.VideoEqualizer(smoothing=smoothing)
    general = histeq.VideoEqualizer(smoothing=smoothing)
    for frame in frames:
        fast = fused.apply(frame)  # C-contiguous: the fused path
        slow = general.apply(np.asfortranarray(frame))  # no rows of unit stride: count, then finish
        np.testing.assert_array_equal(fast, slow)
        if smoothing == 0:
            np.testing.assert_array_equal(fast, histeq.equalize(frame))
    assert fused.cuts == general.cuts == [4]


@pytest.mark.parametrize(("smoothing", "scene_cut"), [(20.0, 0.15), (2.5, None), (7.0, 0.0), (0.0, 0.02), (1e6, 0.05)])
def test_compiled_smoothing_equals_numpy_over_long_streams(smoothing: float, scene_cut: float | None) -> None:
    # drifting, noisy small frames (the calling thread alone) and jumps: the
    # compiled distance, moving average and integer counts against numpy's
    rng = np.random.default_rng(int(smoothing * 10) + (scene_cut is None))
    level, fused, general = 100.0, [], []
    videos = [histeq.VideoEqualizer(smoothing=smoothing, scene_cut=scene_cut) for _ in range(2)]
    for t in range(60):
        level = float(np.clip(level + rng.normal(0, 6) + (90 if t % 23 == 22 else 0), 20, 200)) % 230
        frame = np.clip(rng.normal(level, 4 + t % 9, size=(40, 50)), 0, 255).astype(np.uint8)
        fused.append(videos[0].apply(frame))
        general.append(videos[1].apply(np.asfortranarray(frame)))
    np.testing.assert_array_equal(np.stack(fused), np.stack(general))
    assert videos[0].cuts == videos[1].cuts


def test_paths_share_the_state_and_out_forms() -> None:
    frames = _clip()
    reference = histeq.equalize_video(np.asfortranarray(frames), smoothing=5.0)
    video = histeq.VideoEqualizer(smoothing=5.0)
    padded = np.zeros((H, W + 64), np.uint8)
    for t, frame in enumerate(frames):
        if t % 3 == 0:
            result = video.apply(np.asfortranarray(frame))  # general path
        elif t % 3 == 1:
            out = np.empty_like(frame)
            result = video.apply(frame, out=out)  # fused, into out
            assert result is out
        else:
            padded[:, :W] = frame
            view = padded[:, :W]  # padded rows, as decoders give
            result = video.apply(view, out=view)  # in place
            assert result is view
        np.testing.assert_array_equal(result, reference[t])
