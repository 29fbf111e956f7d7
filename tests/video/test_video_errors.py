"""Bad input to the video API: clear errors naming the parameter."""

from __future__ import annotations

import numpy as np
import pytest

import histeq

FRAME = np.arange(48, dtype=np.uint8).reshape(6, 8)


@pytest.mark.parametrize(
    ("arguments", "error", "words"),
    [
        ({"smoothing": -1}, ValueError, "smoothing must be finite and at least 0"),
        ({"smoothing": float("nan")}, ValueError, "smoothing"),
        ({"smoothing": "20"}, TypeError, "smoothing must be a number"),
        ({"smoothing": True}, TypeError, "smoothing"),
        ({"scene_cut": -0.1}, ValueError, "scene_cut"),
        ({"operation": "match"}, ValueError, "operation must be one of"),
        ({"clip_limit": 2.0}, TypeError, "clip_limit is not an option of operation='equalize'"),
        ({"operation": "clahe", "mask": FRAME > 3}, TypeError, "mask is not an option of operation='clahe'"),
    ],
)
def test_bad_arguments(arguments: dict, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        histeq.VideoEqualizer(**arguments)
    with pytest.raises(error, match=words):
        histeq.equalize_video([FRAME], **arguments)


@pytest.mark.parametrize(("lookahead", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_bad_lookahead(lookahead: object, error: type) -> None:
    with pytest.raises(error, match="lookahead"):
        histeq.equalize_video([FRAME], lookahead=lookahead)


def test_frames_that_change() -> None:
    video = histeq.VideoEqualizer()
    video.apply(FRAME)
    with pytest.raises(ValueError, match=r"frame 1 has shape \(8, 6\); the stream's frames have shape \(6, 8\)"):
        video.apply(FRAME.reshape(8, 6))
    with pytest.raises(TypeError, match="frame 1 has dtype uint16"):
        video.apply(FRAME.astype(np.uint16))
    with pytest.raises(ValueError, match="frame 2 has shape"):
        list(histeq.equalize_video(iter([FRAME, FRAME, FRAME[:3]])))


def test_bad_frames() -> None:
    video = histeq.VideoEqualizer()
    with pytest.raises(TypeError, match="MaskedArray"):
        video.apply(np.ma.masked_array(FRAME, FRAME > 10))
    with pytest.raises(TypeError, match="frame has dtype bool"):
        video.apply(FRAME > 3)
    with pytest.raises(TypeError, match="frames must be an array"):
        histeq.equalize_video(3)
    with pytest.raises(ValueError, match="at least one frame"):
        histeq.equalize_video(np.zeros((0, 4, 4), np.uint8))


def test_options_checked_on_the_first_frame() -> None:
    with pytest.raises(ValueError, match="method must be one of"):
        histeq.VideoEqualizer(method="nope").apply(FRAME)
    with pytest.raises(ValueError, match="needs channel_axis"):
        histeq.VideoEqualizer(color="ycrcb").apply(FRAME)
    with pytest.raises(ValueError, match="color='joint' is not available for clahe"):
        histeq.VideoEqualizer(operation="clahe", color="joint", channel_axis=-1).apply(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="color='ycrcb' needs a method that returns the frame's dtype"):
        histeq.VideoEqualizer(method="skimage", color="ycrcb", channel_axis=-1).apply(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="mask must have the image's shape"):
        histeq.VideoEqualizer(mask=np.ones((3, 3), bool)).apply(FRAME)
    with pytest.raises(ValueError, match="tile_grid"):
        histeq.VideoEqualizer(operation="clahe", tile_grid=(0, 2)).apply(FRAME)
