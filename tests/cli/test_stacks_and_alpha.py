"""The command line on stacks (--batch-axis) and on images with transparent pixels."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tifffile

import histeq
from histeq.cli.deep_clahe import deep_clahe
from histeq.io import read_image, write_image


def run(*args):
    return subprocess.run([sys.executable, "-m", "histeq", *map(str, args)], capture_output=True, text=True)


def test_npy_stack_page_by_page(tmp_path):
    rng = np.random.default_rng(0)
    stack = (rng.integers(0, 120, (5, 20, 30)) + np.arange(5)[:, None, None] * 25).astype(np.uint8)
    np.save(tmp_path / "stack.npy", stack)
    done = run("equalize", tmp_path / "stack.npy", "-o", tmp_path / "pages.npy", "--batch-axis", "0")
    assert done.returncode == 0, done.stderr
    pages = np.load(tmp_path / "pages.npy")
    np.testing.assert_array_equal(pages, histeq.equalize(stack, batch_axis=0))
    for page, result in zip(stack, pages):
        np.testing.assert_array_equal(result, histeq.equalize(page))
    assert run("equalize", tmp_path / "stack.npy", "-o", tmp_path / "volume.npy").returncode == 0
    np.testing.assert_array_equal(np.load(tmp_path / "volume.npy"), histeq.equalize(stack))  # one histogram


def test_rgb_stack_colour_read_from_one_page(tmp_path):
    rng = np.random.default_rng(1)
    stack = rng.integers(30, 160, (3, 16, 18, 3), dtype=np.uint8)
    np.save(tmp_path / "rgb.npy", stack)
    done = run("equalize", tmp_path / "rgb.npy", "-o", tmp_path / "out.npy", "--batch-axis", "0")
    assert done.returncode == 0, done.stderr
    expected = histeq.equalize(stack, batch_axis=0, channel_axis=-1, color="ycrcb")  # equalize's default
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), expected)


def test_multipage_tiff_clahe_per_page(tmp_path):
    rng = np.random.default_rng(2)
    stack = rng.integers(1000, 11200, (3, 40, 36), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "pages.tif", stack, photometric="minisblack")  # three pages
    done = run("clahe", tmp_path / "pages.tif", "-o", tmp_path / "out.tif", "--batch-axis", "0", "--clip-limit", "2")
    assert done.returncode == 0, done.stderr
    result = tifffile.imread(tmp_path / "out.tif")
    for page, got in zip(stack, result):  # each page binned over its own range, as one image would be
        np.testing.assert_array_equal(got, deep_clahe(page, clip_limit=2.0))


def test_batch_axis_out_of_range_is_named(tmp_path):
    np.save(tmp_path / "stack.npy", np.zeros((2, 8, 8), np.uint8))
    done = run("equalize", tmp_path / "stack.npy", "-o", tmp_path / "out.npy", "--batch-axis", "3")
    assert done.returncode == 1
    assert "--batch-axis 3 is out of range" in done.stderr
    assert not (tmp_path / "out.npy").exists()


@pytest.fixture
def rgba(tmp_path):
    rng = np.random.default_rng(3)
    image = rng.integers(40, 200, (24, 28, 4), dtype=np.uint8)
    image[:10, :, :3] = 128  # a grey region nobody sees
    image[:10, :, 3] = 0
    path = tmp_path / "rgba.png"
    write_image(path, image)
    return path, image


@pytest.mark.parametrize("color", ["ycrcb", "channels"])
def test_transparent_pixels_are_not_counted_unless_asked(tmp_path, rgba, color):
    path, image = rgba
    options = {"channel_axis": -1, "color": color, "keep_alpha": color == "channels"}
    assert run("equalize", path, "-o", tmp_path / "a.png", "--color", color).returncode == 0
    visible = read_image(tmp_path / "a.png")
    np.testing.assert_array_equal(visible, histeq.equalize(image, **options))
    np.testing.assert_array_equal(
        visible, histeq.equalize(image, mask=image[..., 3] > 0, count_transparent=True, **options)
    )
    np.testing.assert_array_equal(visible[..., 3], image[..., 3])  # alpha byte-identical
    done = run("equalize", path, "-o", tmp_path / "b.png", "--color", color, "--count-transparent")
    assert done.returncode == 0, done.stderr
    every = read_image(tmp_path / "b.png")
    np.testing.assert_array_equal(every, histeq.equalize(image, count_transparent=True, **options))
    assert not np.array_equal(every, visible)


def test_float_results_and_matching_leave_transparent_pixels_out_too(tmp_path, rgba):
    path, image = rgba
    reference = np.random.default_rng(4).integers(0, 256, (9, 9, 3), dtype=np.uint8)
    write_image(tmp_path / "ref.png", reference)
    assert run("match", path, "--reference", tmp_path / "ref.png", "-o", tmp_path / "m.png").returncode == 0
    expected = histeq.match_histograms(
        image[..., :3], reference, channel_axis=-1, color="ycrcb", mask=image[..., 3] > 0
    )
    np.testing.assert_array_equal(read_image(tmp_path / "m.png")[..., :3], expected)
    assert (
        run(
            "match", path, "--reference", tmp_path / "ref.png", "-o", tmp_path / "n.png", "--count-transparent"
        ).returncode
        == 0
    )
    counted = histeq.match_histograms(image[..., :3], reference, channel_axis=-1, color="ycrcb")
    np.testing.assert_array_equal(read_image(tmp_path / "n.png")[..., :3], counted)
