"""CLAHE of images deeper than 8 bits on the command line: by default binned
over the image's own range, so that the typical clip limit uses the output's
range as 8-bit CLAHE does; OpenCV's 65536 bins one flag away, bit for bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tifffile

import histeq
from conftest import skimage_image
from histeq.cli.deep_clahe import DEEP_BINS, command_line_clahe, deep_clahe, is_deep
from histeq.io import read_image, write_image

#: The camera image's levels in 16 bits: a microscope's or a 12-bit camera's dark frame.
LOW, HIGH = 1000, 11200


def run(*args):
    return subprocess.run([sys.executable, "-m", "histeq", *map(str, args)], capture_output=True, text=True)


def sixteen_bit(image: np.ndarray) -> np.ndarray:
    """``image`` rescaled to LOW..HIGH in uint16."""
    values = image.astype(np.float64)
    return np.rint(LOW + (values - values.min()) / np.ptp(values) * (HIGH - LOW)).astype(np.uint16)


def used_range(image: np.ndarray) -> float:
    """The fraction of the dtype's range between the image's min and max."""
    info = np.iinfo(image.dtype)
    return (int(image.max()) - int(image.min())) / (int(info.max) - int(info.min))


@pytest.fixture
def camera():
    return skimage_image("camera")


@pytest.fixture
def stack(camera):
    """A 3-D stack of 12 shifted quarter-size cameras, 16-bit over LOW..HIGH."""
    small = camera[::4, ::4]
    return sixteen_bit(np.stack([np.roll(small, 9 * k, axis=1) for k in range(12)]))


def test_default_clahe_uses_the_output_range_on_16_bit_camera_and_stack(tmp_path, camera, stack):
    assert used_range(histeq.clahe(camera, clip_limit=2)) >= 0.8  # what 8-bit CLAHE does
    write_image(tmp_path / "camera16.png", sixteen_bit(camera))
    tifffile.imwrite(tmp_path / "stack16.tif", stack)
    for name in ("camera16.png", "stack16.tif"):
        done = run("clahe", tmp_path / name, "-o", tmp_path / f"out-{name}", "--clip-limit", "2")
        assert done.returncode == 0, done.stderr
        result = read_image(tmp_path / f"out-{name}")
        assert result.dtype == np.uint16 and result.shape == read_image(tmp_path / name).shape
        assert used_range(result) >= 0.8, (name, result.min(), result.max())
        opencv = tmp_path / f"opencv-{name}"
        done = run("clahe", tmp_path / name, "-o", opencv, "--clip-limit", "2", "--dtype-bins")
        assert done.returncode == 0, done.stderr
        assert used_range(read_image(opencv)) < 0.5  # OpenCV's bins: the issue this default answers


def test_dtype_bins_is_opencv_bit_for_bit(tmp_path, camera):
    cv2 = pytest.importorskip("cv2")
    image = sixteen_bit(camera)
    write_image(tmp_path / "c.png", image)
    done = run("clahe", tmp_path / "c.png", "-o", tmp_path / "o.png", "--clip-limit", "2", "--dtype-bins")
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(read_image(tmp_path / "o.png"), cv2.createCLAHE(2.0, (8, 8)).apply(image))


def test_the_default_is_float_clahe_of_the_fractions_written_over_the_dtype(tmp_path, camera):
    image = sixteen_bit(camera)
    write_image(tmp_path / "c.png", image)
    done = run("clahe", tmp_path / "c.png", "-o", tmp_path / "d.png", "--clip-limit", "3", "--nbins", "512")
    assert done.returncode == 0, done.stderr
    fractions = histeq.clahe((image / np.float32(65535)).astype(np.float32), clip_limit=3, nbins=512)
    expected = np.rint(fractions.astype(np.float64) * 65535).astype(np.uint16)
    np.testing.assert_array_equal(read_image(tmp_path / "d.png"), expected)
    np.testing.assert_array_equal(deep_clahe(image, clip_limit=3, nbins=512), expected)
    # A colour image of several blocks of the way back to integers.
    rgb = np.dstack([image, image[::-1], image[:, ::-1]])
    fractions = histeq.clahe((rgb / np.float32(65535)).astype(np.float32), channel_axis=-1, color="lab", nbins=512)
    expected = np.rint(fractions.astype(np.float64) * 65535).astype(np.uint16)
    np.testing.assert_array_equal(deep_clahe(rgb, channel_axis=-1, color="lab", nbins=512), expected)


def test_eight_bit_images_stay_opencvs_and_colour_alpha_is_kept(tmp_path, camera):
    assert not is_deep(np.dtype(np.uint8)) and is_deep(np.dtype(np.uint16)) and not is_deep(np.dtype(np.float32))
    np.testing.assert_array_equal(command_line_clahe(camera, clip_limit=2), histeq.clahe(camera, clip_limit=2))
    rgba = np.dstack([sixteen_bit(camera)] * 3 + [np.full(camera.shape, 4321, np.uint16)])
    write_image(tmp_path / "rgba.png", rgba)
    done = run("clahe", tmp_path / "rgba.png", "-o", tmp_path / "out.png", "--clip-limit", "2")
    assert done.returncode == 0, done.stderr
    result = read_image(tmp_path / "out.png")
    np.testing.assert_array_equal(result[..., 3], 4321)
    assert used_range(result[..., :3]) >= 0.8
    expected = deep_clahe(rgba[..., :3], clip_limit=2, channel_axis=-1, color="lab", nbins=DEEP_BINS)
    np.testing.assert_array_equal(result[..., :3], expected)


def test_compare_draws_the_16_bit_clahe_panel_the_same_way(tmp_path, camera):
    from histeq import plot

    image = sixteen_bit(camera)
    panels = dict(plot.compared_panels(image, ["clahe"], clahe_function=command_line_clahe))
    np.testing.assert_array_equal(panels["clahe"], deep_clahe(image, clip_limit=plot.FIGURE_CLAHE_CLIP))
    write_image(tmp_path / "c.png", image)
    done = run("compare", tmp_path / "c.png", "-o", tmp_path / "f.png", "--methods", "clahe", "--dtype-bins")
    assert done.returncode == 0 and (tmp_path / "f.png").exists(), done.stderr


@pytest.mark.parametrize(("dtype", "flags", "levels"), [("uint8", [], 256), ("uint16", ["--dtype-bins"], 65536)])
def test_nbins_where_every_level_has_its_bin_is_refused_in_option_words(tmp_path, camera, dtype, flags, levels):
    image = camera if dtype == "uint8" else sixteen_bit(camera)
    write_image(tmp_path / "in.png", image)
    done = run("clahe", tmp_path / "in.png", "-o", tmp_path / "out.png", "--nbins", "100", *flags)
    assert done.returncode == 1 and not (tmp_path / "out.png").exists()
    assert (
        "--nbins applies to float images" in done.stderr and f"{dtype} image here has one bin per level" in done.stderr
    )
    assert f"({levels} bins" in done.stderr and "bit_shift" not in done.stderr
