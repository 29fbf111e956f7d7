"""The images histeq makes itself for the README's pictures, and the script that draws them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import histeq
from histeq.cli.deep_clahe import command_line_clahe
from histeq.demo_image import demo_cells_image, demo_colour_image

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "make_figures.py"


def test_colour_scene_is_deterministic_hazy_and_shows_why_luminance_is_the_default():
    scene = demo_colour_image()
    assert scene.shape == (256, 256, 3) and scene.dtype == np.uint8
    np.testing.assert_array_equal(scene, demo_colour_image())
    assert int(scene.max()) - int(scene.min()) < 128  # low contrast
    per_channel = histeq.equalize(scene, channel_axis=-1).astype(np.int64)
    luminance = histeq.equalize(scene, channel_axis=-1, color="ycrcb").astype(np.int64)

    def hue_shift(result: np.ndarray) -> float:  # how far each pixel's colour balance moved
        before = scene - scene.mean(axis=-1, keepdims=True)
        after = result - result.mean(axis=-1, keepdims=True)
        return float(np.abs(after - before).mean())

    assert hue_shift(per_channel) > 2 * hue_shift(luminance)


def test_cells_are_a_dark_16_bit_field_that_default_clahe_spreads_over_the_range():
    cells = demo_cells_image()
    assert cells.shape == (256, 256) and cells.dtype == np.uint16
    np.testing.assert_array_equal(cells, demo_cells_image())
    assert cells.min() >= 1000 and cells.max() <= 12000
    result = command_line_clahe(cells, clip_limit=2.0)
    assert (int(result.max()) - int(result.min())) / 65535 >= 0.8


def test_the_readme_pictures_script_writes_small_files(tmp_path):
    pytest.importorskip("matplotlib")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    sizes = {path.name: path.stat().st_size for path in tmp_path.iterdir()}
    assert set(sizes) == {"colour.jpg", "microscopy.png"} and sum(sizes.values()) < 400_000
