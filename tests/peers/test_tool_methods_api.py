"""The image-tool methods through the rest of histeq's API: masks,
channel_axis, colour modes, plans from counts, the command line; and their
refusals (dtypes the tools do not read, nbins)."""

from __future__ import annotations

import numpy as np
import pytest

import histeq

TOOL_METHODS = ("imagej", "imagej-classic", "imagemagick", "vips")
RNG = np.random.default_rng(23)


@pytest.mark.parametrize("method", TOOL_METHODS)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_mask_plans_from_selected_pixels(method, dtype):
    image = RNG.integers(0, np.iinfo(dtype).max // 3, (23, 31)).astype(dtype)
    mask = RNG.random(image.shape) < 0.3
    counts = histeq.histogram(image[mask]).counts
    plan = histeq.plan_equalization(counts, dtype=dtype, method=method)
    np.testing.assert_array_equal(histeq.equalize(image, method=method, mask=mask), plan.apply(image))


@pytest.mark.parametrize("method", TOOL_METHODS)
def test_channels_are_each_channel_alone(method):
    image = RNG.integers(0, 256, (3, 17, 19), dtype=np.uint8)
    image[1] //= 5
    result = histeq.equalize(image, method=method, channel_axis=0, color="channels")
    for channel in range(3):
        np.testing.assert_array_equal(result[channel], histeq.equalize(image[channel], method=method))


@pytest.mark.parametrize("method", TOOL_METHODS)
@pytest.mark.parametrize("color", ["ycrcb", "lab", "hsv", "joint"])
def test_colour_modes(method, color):
    image = RNG.integers(0, 256, (16, 21, 3), dtype=np.uint8)
    result = histeq.equalize(image, method=method, channel_axis=-1, color=color)
    opencv = histeq.equalize(image, method="opencv", channel_axis=-1, color=color)
    assert result.shape == image.shape and result.dtype == np.uint8
    assert not np.array_equal(result, opencv)  # the method's own LUT, not the default


@pytest.mark.parametrize("method", TOOL_METHODS)
def test_empty_mask_and_masked_array_leave_pixels_or_wrap(method):
    image = RNG.integers(0, 256, (9, 11), dtype=np.uint8)
    np.testing.assert_array_equal(histeq.equalize(image, method=method, mask=np.zeros(image.shape, bool)), image)
    masked = np.ma.MaskedArray(image, mask=image > 200)
    result = histeq.equalize(masked, method=method)
    assert isinstance(result, np.ma.MaskedArray)
    np.testing.assert_array_equal(result.data, histeq.equalize(image, method=method, mask=image <= 200))


@pytest.mark.parametrize("method", TOOL_METHODS)
@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint32, np.float32, np.float64])
def test_other_dtypes_refused(method, dtype):
    with pytest.raises(TypeError, match="uint8, uint16"):
        histeq.equalize(np.zeros((4, 4), dtype), method=method)


@pytest.mark.parametrize("method", TOOL_METHODS)
def test_nbins_refused(method):
    image = RNG.integers(0, 256, (9, 11), dtype=np.uint8)
    with pytest.raises(ValueError, match="nbins"):
        histeq.equalize(image, method=method, nbins=64)


@pytest.mark.parametrize("method", TOOL_METHODS)
def test_in_place_and_input_untouched(method):
    image = RNG.integers(0, 65536, (13, 7), dtype=np.uint16)
    copy = image.copy()
    expected = histeq.equalize(image, method=method)
    np.testing.assert_array_equal(image, copy)
    assert histeq.equalize(image, method=method, out=image) is image
    np.testing.assert_array_equal(image, expected)


def test_command_line_method_choices(tmp_path):
    from histeq.cli import main
    from histeq.io import read_image, write_image

    image = RNG.integers(0, 65536, (12, 10), dtype=np.uint16)
    write_image(tmp_path / "in.png", image)
    for method in TOOL_METHODS:
        assert (
            main(["equalize", str(tmp_path / "in.png"), "-o", str(tmp_path / f"{method}.png"), "--method", method]) == 0
        )
        np.testing.assert_array_equal(read_image(tmp_path / f"{method}.png"), histeq.equalize(image, method=method))


def test_compare_shows_the_methods():
    from histeq.plot import COMPARE_METHODS, compared_panels

    assert set(TOOL_METHODS) <= set(COMPARE_METHODS)
    image = RNG.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    panels = dict(compared_panels(image, TOOL_METHODS, colour=True, colors=["channels"]))
    for method in TOOL_METHODS:
        expected = histeq.equalize(image, method=method, channel_axis=-1)
        np.testing.assert_array_equal(panels[f"{method}, channels"], expected)


def test_imagemagick_colour_images_mask_order_alpha():
    rgb = RNG.integers(0, 256, (14, 18, 3), dtype=np.uint8)
    expected = histeq.equalize(rgb, method="imagemagick", channel_axis=-1)
    everything = np.ones(rgb.shape[:2], bool)
    np.testing.assert_array_equal(
        histeq.equalize(rgb, method="imagemagick", channel_axis=-1, mask=everything), expected
    )
    bgr = histeq.equalize(rgb[..., ::-1], method="imagemagick", channel_axis=-1, channel_order="bgr")
    np.testing.assert_array_equal(bgr, expected[..., ::-1])
    rgba = np.concatenate([rgb, np.full((14, 18, 1), 255, np.uint8)], axis=-1)
    kept = histeq.equalize(rgba, method="imagemagick", channel_axis=-1, keep_alpha=True)
    np.testing.assert_array_equal(kept[..., :3], expected)
    np.testing.assert_array_equal(kept[..., 3], 255)
    some = RNG.random(rgb.shape[:2]) < 0.5
    assert not np.array_equal(histeq.equalize(rgb, method="imagemagick", channel_axis=-1, mask=some), expected)
    with pytest.raises(ValueError, match="3 samples"):
        histeq.equalize(rgb[..., :2], method="imagemagick", channel_axis=-1)
