"""The image tools' methods on the command line: their own colour handling by default."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import histeq
from histeq.io import read_image, write_image


def run(*args):
    return subprocess.run([sys.executable, "-m", "histeq", *map(str, args)], capture_output=True, text=True)


@pytest.fixture
def rgb(tmp_path):
    image = np.random.default_rng(0).integers(20, 180, (30, 34, 3), dtype=np.uint8)
    write_image(tmp_path / "rgb.png", image)
    return tmp_path / "rgb.png", image


@pytest.mark.parametrize("method", ["imagej", "imagej-classic", "imagemagick", "ffmpeg", "ffmpeg:0.4:0.6:none"])
def test_tool_methods_treat_colour_as_the_tool_unless_told(tmp_path, rgb, method):
    path, image = rgb
    assert run("equalize", path, "-o", tmp_path / "tool.png", "--method", method).returncode == 0
    np.testing.assert_array_equal(
        read_image(tmp_path / "tool.png"), histeq.equalize(image, channel_axis=-1, method=method)
    )
    done = run("equalize", path, "-o", tmp_path / "own.png", "--method", method, "--color", "channels")
    assert done.returncode == 0, done.stderr
    expected = histeq.equalize(image, channel_axis=-1, method=method, color="channels")
    np.testing.assert_array_equal(read_image(tmp_path / "own.png"), expected)


def test_bad_ffmpeg_options_are_a_usage_error(tmp_path, rgb):
    done = run("equalize", rgb[0], "-o", tmp_path / "x.png", "--method", "ffmpeg:strength=9")
    assert done.returncode == 2
    assert "strength" in done.stderr and "usage: histeq equalize" in done.stderr
    assert not (tmp_path / "x.png").exists()


def test_imagemagick_clahe(tmp_path, rgb):
    path, image = rgb
    done = run("clahe", path, "-o", tmp_path / "c.png", "--method", "imagemagick", "--kernel-size", "10", "12")
    assert done.returncode == 0, done.stderr
    expected = histeq.clahe(image, channel_axis=-1, method="imagemagick", kernel_size=(10, 12))
    np.testing.assert_array_equal(read_image(tmp_path / "c.png"), expected)
