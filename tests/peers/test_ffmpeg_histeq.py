"""equalize(method="ffmpeg...") against ffmpeg's histeq filter, bit for bit:
RGB frames (channel_axis), grey images, every option (strength, intensity,
antibanding), on scikit-image's samples and hypothesis-generated frames."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from peer_tools import ffmpeg_fixture  # noqa: F401 (fixture)

import histeq
from conftest import skimage_image

SEED = np.array([[50, 52, 52], [51, 52, 53], [52, 53, 54]], dtype=np.uint8)
#: ffmpeg 5.1.9 (Debian ffmpeg), the seed as a grey rgb24 frame:
#: ffmpeg -f rawvideo -pix_fmt rgb24 -s 3x3 -i seed.rgb -vf histeq=strength=0.2:intensity=0.21:antibanding=none
#:        -f rawvideo -pix_fmt rgb24 out.rgb   (every pixel's three samples alike)
SEED_FFMPEG = [[28, 120, 120], [47, 120, 156], [120, 156, 175]]

OPTIONS = ["", "0.5:0.9", "strength=1:intensity=1", "0:0", "0.33:0.7:weak", "0.2:0.21:strong", "1:0.1:weak"]


def spec(options: str) -> str:
    return "ffmpeg" if not options else f"ffmpeg:{options}"


def filter_options(options: str) -> str:
    return options or "strength=0.2:intensity=0.21:antibanding=none"


def test_seed_worked_example():
    np.testing.assert_array_equal(histeq.equalize(SEED, method="ffmpeg"), SEED_FFMPEG)


def test_seed_by_ffmpeg(ffmpeg):
    frame = np.repeat(SEED[..., np.newaxis], 3, axis=-1)
    assert ffmpeg.histeq(frame, filter_options(""))[..., 0].tolist() == SEED_FFMPEG
    np.testing.assert_array_equal(histeq.equalize(frame, method="ffmpeg", channel_axis=-1)[..., 1], SEED_FFMPEG)


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "coffee", "rocket", "camera", "moon"])
@pytest.mark.parametrize("options", OPTIONS)
def test_samples(ffmpeg, name, options):
    image = skimage_image(name)
    if image.ndim == 2:  # grey: its rgb24 frame's three samples stay alike
        expected = ffmpeg.histeq(np.repeat(image[..., np.newaxis], 3, axis=-1), filter_options(options))[..., 0]
        np.testing.assert_array_equal(histeq.equalize(image, method=spec(options)), expected)
    else:
        expected = ffmpeg.histeq(image, filter_options(options))
        np.testing.assert_array_equal(histeq.equalize(image, method=spec(options), channel_axis=-1), expected)


def test_bgr_frames(ffmpeg):
    image = skimage_image("coffee")[..., ::-1]
    expected = ffmpeg.histeq(image, filter_options(""), pix_fmt="bgr24")
    np.testing.assert_array_equal(
        histeq.equalize(image, method="ffmpeg", channel_axis=-1, channel_order="bgr"), expected
    )


@st.composite
def frames(draw):
    """uint8 RGB frames: odd sizes, full or narrow ranges, constant, dark (luma 0)."""
    shape = (draw(st.integers(1, 23)), draw(st.integers(1, 23)), 3)
    low = draw(st.integers(0, 255))
    high = min(255, low + draw(st.sampled_from([0, 2, 30, 255])))
    return draw(hnp.arrays(np.uint8, shape, elements=st.integers(low, high)))


fractions = st.one_of(st.sampled_from([0.0, 0.2, 0.21, 0.255, 0.256, 1.0]), st.floats(0, 1).map(lambda x: round(x, 3)))


@settings(max_examples=40)
@given(frames(), fractions, fractions, st.sampled_from(["none", "weak", "strong"]))
def test_random_frames(ffmpeg, frame, strength, intensity, antibanding):
    options = f"strength={strength}:intensity={intensity}:antibanding={antibanding}"
    expected = ffmpeg.histeq(frame, options)
    np.testing.assert_array_equal(histeq.equalize(frame, method=f"ffmpeg:{options}", channel_axis=-1), expected)


@settings(max_examples=20)
@given(frames(), st.sampled_from(["none", "weak"]))
def test_random_grey(ffmpeg, frame, antibanding):
    grey = frame[..., 0]
    expected = ffmpeg.histeq(np.repeat(grey[..., np.newaxis], 3, axis=-1), f"antibanding={antibanding}")[..., 0]
    np.testing.assert_array_equal(histeq.equalize(grey, method=f"ffmpeg:antibanding={antibanding}"), expected)


# --- the rest of the API ---------------------------------------------------------

RNG = np.random.default_rng(51)


def test_channels_first_alpha_and_full_mask():
    frame = RNG.integers(0, 256, (19, 23, 3), dtype=np.uint8)
    expected = histeq.equalize(frame, method="ffmpeg", channel_axis=-1)
    planar = np.moveaxis(frame, -1, 0).copy()
    np.testing.assert_array_equal(
        histeq.equalize(planar, method="ffmpeg", channel_axis=0), np.moveaxis(expected, -1, 0)
    )
    rgba = np.concatenate([frame, RNG.integers(1, 256, (19, 23, 1), dtype=np.uint8)], axis=-1)  # none transparent
    with_alpha = histeq.equalize(rgba, method="ffmpeg", channel_axis=-1, keep_alpha=True)
    np.testing.assert_array_equal(with_alpha[..., :3], expected)
    np.testing.assert_array_equal(with_alpha[..., 3], rgba[..., 3])
    everything = np.ones(frame.shape[:2], bool)
    np.testing.assert_array_equal(histeq.equalize(frame, method="ffmpeg", channel_axis=-1, mask=everything), expected)


def test_mask_counts_selected_pixels_and_empty_mask_leaves_frame():
    frame = RNG.integers(0, 256, (17, 13, 3), dtype=np.uint8)
    mask = RNG.random(frame.shape[:2]) < 0.4
    masked = histeq.equalize(frame, method="ffmpeg:0.6:0.8", channel_axis=-1, mask=mask)
    assert not np.array_equal(masked, histeq.equalize(frame, method="ffmpeg:0.6:0.8", channel_axis=-1))
    empty = np.zeros(frame.shape[:2], bool)
    np.testing.assert_array_equal(histeq.equalize(frame, method="ffmpeg", channel_axis=-1, mask=empty), frame)


def test_explicit_channels_and_colour_modes_use_the_grey_plan():
    frame = RNG.integers(0, 256, (11, 9, 3), dtype=np.uint8)
    per_channel = histeq.equalize(frame, method="ffmpeg", channel_axis=-1, color="channels")
    for c in range(3):
        np.testing.assert_array_equal(per_channel[..., c], histeq.equalize(frame[..., c], method="ffmpeg"))
    assert histeq.equalize(frame, method="ffmpeg", channel_axis=-1, color="ycrcb").shape == frame.shape


def test_plan_of_grey_counts():
    grey = RNG.integers(0, 256, (31, 7), dtype=np.uint8)
    plan = histeq.plan_equalization(histeq.histogram(grey).counts, dtype=np.uint8, method="ffmpeg:0.4:0.6")
    np.testing.assert_array_equal(plan.apply(grey), histeq.equalize(grey, method="ffmpeg:0.4:0.6"))
    with pytest.raises(ValueError, match="antibanding"):
        histeq.plan_equalization(histeq.histogram(grey).counts, dtype=np.uint8, method="ffmpeg:antibanding=weak")


@pytest.mark.parametrize(
    "method",
    ["ffmpeg:", "ffmpeg:strength=2", "ffmpeg:0.1:0.2:none:4", "ffmpeg:power=1", "ffmpeg:antibanding=hard", "ffmpegx"],
)
def test_bad_options(method):
    with pytest.raises(ValueError, match="method"):
        histeq.equalize(SEED, method=method)


def test_refusals():
    with pytest.raises(TypeError, match="uint8"):
        histeq.equalize(SEED.astype(np.uint16), method="ffmpeg")
    with pytest.raises(ValueError, match="3 samples"):
        histeq.equalize(np.zeros((4, 4, 2), np.uint8), method="ffmpeg", channel_axis=-1)
    with pytest.raises(ValueError, match="target"):
        histeq.equalize(SEED, method="ffmpeg:0.3", target="uniform")
