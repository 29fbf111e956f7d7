"""Video equalization against per-frame equalization: smoothing=0 and a scene's
first frame are bit-identical to ``equalize``/``clahe`` of the frame, for every
option; the array call, the streaming ``apply`` and the iterator agree."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import histeq

RNG = np.random.default_rng(21)
T = 5
GREY8 = RNG.integers(40, 120, size=(T, 24, 32), dtype=np.uint8)
GREY16 = RNG.integers(1000, 30000, size=(T, 24, 32), dtype=np.uint16)
RGB8 = RNG.integers(0, 256, size=(T, 24, 32, 3), dtype=np.uint8)
RGBA16 = RNG.integers(0, 65536, size=(T, 12, 16, 4), dtype=np.uint16)
FLOAT32 = RNG.random((T, 12, 16)).astype(np.float32)
MASK = RNG.random((24, 32)) > 0.3

CASES = [
    ("equalize", GREY8, {}),
    ("equalize", GREY8, {"method": "textbook"}),
    ("equalize", GREY8, {"method": "pillow"}),
    ("equalize", GREY8, {"method": "skimage"}),
    ("equalize", GREY8, {"method": "matlab"}),
    ("equalize", GREY8, {"method": "bbhe", "mask": MASK}),
    ("equalize", GREY8, {"target": "gaussian"}),
    ("equalize", GREY16, {}),
    ("equalize", GREY16, {"method": "dsihe"}),
    ("equalize", FLOAT32, {}),
    ("equalize", FLOAT32, {"method": "skimage", "nbins": 64}),
    ("equalize", RGB8, {"channel_axis": -1}),
    ("equalize", RGB8, {"channel_axis": -1, "color": "ycrcb"}),
    ("equalize", RGB8, {"channel_axis": -1, "color": "lab", "mask": MASK}),
    ("equalize", RGB8, {"channel_axis": -1, "color": "hsv", "channel_order": "bgr"}),
    ("equalize", RGB8, {"channel_axis": -1, "color": "joint"}),
    ("equalize", RGBA16, {"channel_axis": -1, "color": "ycrcb"}),
    ("equalize", RGBA16, {"channel_axis": -1, "keep_alpha": True}),
    ("equalize", RGBA16, {"channel_axis": 2}),
    ("clahe", GREY8, {}),
    ("clahe", GREY8, {"clip_limit": 2.0, "tile_grid": (3, 5), "distribution": "rayleigh"}),
    ("clahe", GREY16, {"clip_limit": 3.0, "bit_shift": 4}),
    ("clahe", FLOAT32, {}),
    ("clahe", GREY8, {"method": "skimage"}),
    ("clahe", RGB8, {"channel_axis": -1, "color": "lab", "clip_limit": 2.0}),
    ("clahe", RGB8, {"channel_axis": -1, "color": "hsv", "method": "skimage"}),
    ("clahe", RGBA16, {"channel_axis": -1, "color": "ycrcb"}),
    ("clahe", RGB8, {"channel_axis": -1}),
]
IDS = [
    f"{op}-{frames.dtype}-{'-'.join(f'{k}={v}' for k, v in opts.items() if k != 'mask')}" for op, frames, opts in CASES
]


def _per_frame(operation: str, frames: np.ndarray, options: dict) -> np.ndarray:
    function = getattr(histeq, operation)
    return np.stack([function(frame, **options) for frame in frames])


@pytest.mark.parametrize(("operation", "frames", "options"), CASES, ids=IDS)
def test_no_smoothing_is_per_frame(operation: str, frames: np.ndarray, options: dict) -> None:
    expected = _per_frame(operation, frames, options)
    for lookahead in (0, 2):
        result = histeq.equalize_video(frames, operation=operation, smoothing=0, lookahead=lookahead, **options)
        assert result.dtype == expected.dtype
        np.testing.assert_array_equal(result, expected)
    streamed = histeq.equalize_video(iter(frames), operation=operation, smoothing=0, **options)
    np.testing.assert_array_equal(np.stack(list(streamed)), expected)


@pytest.mark.parametrize(("operation", "frames", "options"), CASES, ids=IDS)
def test_array_stream_and_iterator_agree(operation: str, frames: np.ndarray, options: dict) -> None:
    before = frames.copy()
    video = histeq.VideoEqualizer(operation=operation, smoothing=5, **options)
    applied = np.stack([video.apply(frame) for frame in frames])
    whole = histeq.equalize_video(frames, operation=operation, smoothing=5, **options)
    iterated = np.stack(list(histeq.equalize_video(list(frames), operation=operation, smoothing=5, **options)))
    np.testing.assert_array_equal(applied, whole)
    np.testing.assert_array_equal(iterated, whole)
    np.testing.assert_array_equal(frames, before)  # inputs are never modified
    # the first frame is a scene's first: equalized on its own
    np.testing.assert_array_equal(whole[0], _per_frame(operation, frames[:1], options)[0])
    assert not np.array_equal(whole, _per_frame(operation, frames, options))  # smoothing does something


def test_out_and_in_place() -> None:
    video = histeq.VideoEqualizer(smoothing=3)
    expected = histeq.equalize_video(GREY8, smoothing=3)
    frames = GREY8.copy()
    for frame, wanted in zip(frames, expected):
        assert video.apply(frame, out=frame) is frame
        np.testing.assert_array_equal(frame, wanted)


def test_reset_starts_over() -> None:
    video = histeq.VideoEqualizer(smoothing=5)
    first = [video.apply(frame) for frame in GREY8]
    video.reset()
    assert video.frames == 0
    video.apply(RGB8[0, ..., 0])  # any shape after a reset
    video.reset()
    np.testing.assert_array_equal(np.stack([video.apply(frame) for frame in GREY8]), np.stack(first))


def test_lookahead_longer_than_the_video() -> None:
    result = histeq.equalize_video(GREY8, smoothing=5, lookahead=50)
    assert result.shape == GREY8.shape
    np.testing.assert_array_equal(np.stack(list(histeq.equalize_video(iter(GREY8), smoothing=5, lookahead=50))), result)


@given(
    arrays(np.uint8, st.tuples(st.integers(1, 6), st.integers(1, 9), st.integers(1, 9))),
    st.sampled_from(["opencv", "textbook", "pillow", "dsihe"]),
)
def test_no_smoothing_is_per_frame_random(frames: np.ndarray, method: str) -> None:
    expected = _per_frame("equalize", frames, {"method": method})
    np.testing.assert_array_equal(histeq.equalize_video(frames, smoothing=0, method=method), expected)


@given(arrays(np.uint16, st.tuples(st.integers(1, 4), st.integers(2, 12), st.integers(2, 12))), st.integers(1, 4))
def test_clahe_no_smoothing_is_per_frame_random(frames: np.ndarray, grid: int) -> None:
    options = {"tile_grid": grid, "clip_limit": 2.0}
    expected = _per_frame("clahe", frames, options)
    np.testing.assert_array_equal(histeq.equalize_video(frames, operation="clahe", smoothing=0, **options), expected)


def test_no_smoothing_is_opencv_per_frame() -> None:
    cv2 = pytest.importorskip("cv2")
    equalized = histeq.equalize_video(GREY8, smoothing=0)
    np.testing.assert_array_equal(equalized, np.stack([cv2.equalizeHist(frame) for frame in GREY8]))
    opencv = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(4, 3))  # (width, height): histeq's (3, 4)
    for frames in (GREY8, GREY16):
        tiled = histeq.equalize_video(frames, operation="clahe", smoothing=0, clip_limit=3.0, tile_grid=(3, 4))
        np.testing.assert_array_equal(tiled, np.stack([opencv.apply(frame) for frame in frames]))
    ycrcb = histeq.equalize_video(RGB8, smoothing=0, channel_axis=-1, color="ycrcb")
    for frame, result in zip(RGB8, ycrcb):
        planes = cv2.cvtColor(frame, cv2.COLOR_RGB2YCrCb)
        planes[..., 0] = cv2.equalizeHist(planes[..., 0])
        np.testing.assert_array_equal(result, cv2.cvtColor(planes, cv2.COLOR_YCrCb2RGB))
