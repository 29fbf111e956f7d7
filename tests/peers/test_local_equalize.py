"""histeq.local_equalize against libvips' hist_local, bit for bit (pyvips and
the vips command), on scikit-image's samples and hypothesis-generated images;
and its arguments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from peer_tools import pyvips_fixture, vips_command_fixture  # noqa: F401 (fixtures)

from conftest import SKIMAGE_IMAGES, skimage_image
from histeq.local import local_equalize

SEED = np.array([[50, 52, 52], [51, 52, 53], [52, 53, 54]], dtype=np.uint8)
#: libvips 8.18.7 (pyvips-binary): pyvips.Image.new_from_array(seed).hist_local(3, 3).numpy(),
#: and libvips 8.14.1 (Debian libvips-tools): vips hist_local seed.png out.png 3 3
SEED_LOCAL_3X3 = [[113, 226, 198], [113, 170, 198], [198, 198, 255]]


def hist_local(pyvips, image: np.ndarray, height: int, width: int, max_slope: int = 0) -> np.ndarray:
    return pyvips.Image.new_from_array(image).hist_local(width, height, max_slope=max_slope).numpy()


def test_seed_worked_example():
    np.testing.assert_array_equal(local_equalize(SEED, window=3), SEED_LOCAL_3X3)


def test_seed_by_libvips(pyvips, vips_command):
    assert hist_local(pyvips, SEED, 3, 3).tolist() == SEED_LOCAL_3X3
    assert vips_command.run("hist_local", SEED, "3", "3").tolist() == SEED_LOCAL_3X3


@pytest.mark.parametrize("name", SKIMAGE_IMAGES)
def test_samples(pyvips, name):
    image = skimage_image(name)  # colour: every band on its own, as libvips
    axis = None if image.ndim == 2 else -1
    for (height, width), slope in (((31, 31), 0), ((8, 21), 0), ((15, 15), 3)):
        expected = hist_local(pyvips, image, height, width, slope)
        result = local_equalize(image, window=(height, width), max_slope=slope, channel_axis=axis)
        np.testing.assert_array_equal(result, expected)


def test_vips_command(vips_command):
    image = skimage_image("camera")
    expected = vips_command.run("hist_local", image, "20", "13", "--max-slope", "4")
    np.testing.assert_array_equal(local_equalize(image, window=(13, 20), max_slope=4), expected)


@st.composite
def images_and_windows(draw):
    """uint8 images (odd sizes, narrow ranges, constant) and a window that fits."""
    rows, cols = draw(st.integers(1, 40)), draw(st.integers(1, 300))
    low = draw(st.integers(0, 255))
    high = min(255, low + draw(st.sampled_from([0, 1, 17, 255])))
    image = draw(hnp.arrays(np.uint8, (rows, cols), elements=st.integers(low, high)))
    window = (draw(st.integers(1, rows)), draw(st.integers(1, min(cols, 64))))
    return image, window


@settings(max_examples=80)
@given(images_and_windows(), st.sampled_from([0, 0, 1, 2, 5, 100]))
def test_random(pyvips, case, slope):
    image, (height, width) = case
    expected = hist_local(pyvips, image, height, width, slope)
    np.testing.assert_array_equal(local_equalize(image, window=(height, width), max_slope=slope), expected)


def test_large_image_many_tasks(pyvips):
    image = np.random.default_rng(9).integers(0, 256, (700, 1100), dtype=np.uint8) // 3
    np.testing.assert_array_equal(local_equalize(image, window=(40, 33)), hist_local(pyvips, image, 40, 33))


# --- the rest of the API -----------------------------------------------------------

RNG = np.random.default_rng(7)


def test_channel_axis_out_in_place_and_masked_array():
    image = RNG.integers(0, 256, (3, 30, 40), dtype=np.uint8)
    result = local_equalize(image, window=7, channel_axis=0)
    for channel in range(3):
        np.testing.assert_array_equal(result[channel], local_equalize(image[channel], window=7))
    copy = image.copy()
    assert local_equalize(copy, window=7, channel_axis=0, out=copy) is copy
    np.testing.assert_array_equal(copy, result)
    grey = RNG.integers(0, 256, (20, 25), dtype=np.uint8)
    masked = local_equalize(np.ma.MaskedArray(grey, mask=grey > 100), window=5)
    assert isinstance(masked, np.ma.MaskedArray)
    np.testing.assert_array_equal(masked.data, local_equalize(grey, window=5))
    np.testing.assert_array_equal(masked.mask, grey > 100)


def test_colour_modes():
    image = RNG.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    for color in ("ycrcb", "lab", "hsv"):
        result = local_equalize(image, window=9, channel_axis=-1, color=color)
        assert result.shape == image.shape and result.dtype == np.uint8
    rgba = np.concatenate([image, RNG.integers(0, 256, (24, 32, 1), dtype=np.uint8)], axis=-1)
    kept = local_equalize(rgba, window=9, channel_axis=-1, keep_alpha=True)
    np.testing.assert_array_equal(kept[..., :3], local_equalize(image, window=9, channel_axis=-1))
    np.testing.assert_array_equal(kept[..., 3], rgba[..., 3])
    with pytest.raises(ValueError, match="joint"):
        local_equalize(image, window=9, channel_axis=-1, color="joint")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"window": 0}, ValueError, "window height"),
        ({"window": (5, 31)}, ValueError, "window width"),
        ({"window": (2, 3, 4)}, ValueError, "window"),
        ({"window": 2.5}, TypeError, "window"),
        ({"window": True}, TypeError, "window"),
        ({"window": 3, "max_slope": 101}, ValueError, "max_slope"),
        ({"window": 3, "max_slope": -1}, ValueError, "max_slope"),
        ({"window": 3, "max_slope": 1.5}, TypeError, "max_slope"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        local_equalize(np.zeros((10, 30), np.uint8), **kwargs)


def test_refused_images():
    with pytest.raises(TypeError, match="uint8"):
        local_equalize(np.zeros((5, 5), np.uint16), window=3)
    with pytest.raises(ValueError, match="2-D"):
        local_equalize(np.zeros((5, 5, 5), np.uint8), window=3)
    with pytest.raises(ValueError, match="2-D"):
        local_equalize(np.zeros(5, np.uint8), window=3)


def test_exported():
    import histeq

    assert histeq.local_equalize is local_equalize and "local_equalize" in histeq.__all__
