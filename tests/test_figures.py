"""Comparison figures: ``histeq compare``, ``--plot`` and the library functions behind them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from histeq import plot
from histeq.io import write_image

RNG = np.random.default_rng(23)


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "histeq", *map(str, args)], capture_output=True, text=True, check=False
    )


def png_size(path) -> tuple[int, int]:
    with Image.open(path) as figure:
        figure.load()  # a truncated or corrupt file fails here
        assert figure.format == "PNG"
        return figure.size


def test_compare_draws_the_original_and_each_method(tmp_path):
    write_image(tmp_path / "rgb.png", RNG.integers(40, 120, (40, 50, 3), dtype=np.uint8))
    done = run("compare", tmp_path / "rgb.png", "--methods", "opencv", "skimage", "clahe", "-o", tmp_path / "f.png")
    assert done.returncode == 0, done.stderr
    assert png_size(tmp_path / "f.png") == (4 * plot.PANEL_SIZE[0], plot.PANEL_SIZE[1])
    every = run("compare", tmp_path / "rgb.png", "-o", tmp_path / "all.png")
    assert png_size(tmp_path / "all.png") == ((len(plot.COMPARE_METHODS) + 1) * plot.PANEL_SIZE[0], plot.PANEL_SIZE[1])
    assert every.returncode == 0
    again = run("compare", tmp_path / "rgb.png", "-o", tmp_path / "f.png")
    assert again.returncode == 1 and "--force" in again.stderr
    wrong = run("compare", tmp_path / "rgb.png", "-o", tmp_path / "f.gif")
    assert wrong.returncode == 1 and "use one of .png, .pdf, .svg" in wrong.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.png", "f.png", "rgb.png"]


def test_plot_beside_each_output_of_a_file_and_a_batch(tmp_path):
    source = tmp_path / "in"
    (source / "deep").mkdir(parents=True)
    write_image(source / "grey.png", RNG.integers(40, 120, (30, 20), dtype=np.uint8))
    write_image(source / "deep" / "rgba16.png", RNG.integers(0, 9000, (30, 20, 4), dtype=np.uint16))
    done = run("equalize", source / "grey.png", "-o", tmp_path / "one.png", "--plot")
    assert done.returncode == 0, done.stderr
    assert png_size(tmp_path / "one.plot.png") == (2 * plot.PANEL_SIZE[0], plot.PANEL_SIZE[1])
    again = run("equalize", source / "grey.png", "-o", tmp_path / "two.png", "--plot")
    assert again.returncode == 0
    (tmp_path / "two.png").unlink()  # the figure is there: without --force nothing is written
    blocked = run("equalize", source / "grey.png", "-o", tmp_path / "two.png", "--plot")
    assert blocked.returncode == 1 and "two.plot.png' already exists" in blocked.stderr
    assert not (tmp_path / "two.png").exists()
    batch = run("clahe", source, "-o", tmp_path / "out", "--plot", "--tile-grid", "2")
    assert batch.returncode == 0, batch.stderr
    for name in ("grey.plot.png", "deep/rgba16.plot.png"):
        assert png_size(tmp_path / "out" / name) == (2 * plot.PANEL_SIZE[0], plot.PANEL_SIZE[1])


@pytest.mark.parametrize(
    "image",
    [
        RNG.integers(0, 256, (12, 16), dtype=np.uint8),
        RNG.integers(0, 4000, (3, 12, 16), dtype=np.uint16),  # a volume: its middle plane
        np.where(RNG.random((12, 16)) < 0.1, np.nan, RNG.random((12, 16))).astype(np.float32),
        RNG.integers(-5, 70000, (12, 16), dtype=np.int32),
    ],
    ids=["uint8", "volume", "float-nan", "int32"],
)
def test_figure_of_every_kind_of_image(tmp_path, image):
    panels = plot.compared_panels(image, ("opencv", "textbook"))
    assert [label for label, _ in panels] == ["original", "opencv", "textbook"]
    plot.save_comparison(tmp_path / "f.png", panels)
    assert png_size(tmp_path / "f.png") == (3 * plot.PANEL_SIZE[0], plot.PANEL_SIZE[1])
    plot.save_comparison(tmp_path / "f.svg", panels)
    assert (tmp_path / "f.svg").read_bytes().lstrip().startswith(b"<?xml")


def test_compare_shows_colour_modes_in_rows_and_grey_images_in_one(tmp_path):
    colour = np.dstack([RNG.integers(40, 120, (40, 50), dtype=np.uint8), RNG.integers(0, 60, (40, 50), dtype=np.uint8)])
    write_image(tmp_path / "rgba.png", np.dstack([colour, colour[..., :1] // 2, np.full((40, 50), 9, np.uint8)]))
    write_image(tmp_path / "grey.png", RNG.integers(40, 120, (40, 50), dtype=np.uint8))
    modes = ["--colors", "channels", "ycrcb", "lab", "hsv"]
    done = run("compare", tmp_path / "rgba.png", "--methods", "opencv", "clahe", *modes, "-o", tmp_path / "c.png")
    assert done.returncode == 0, done.stderr
    assert "colour: channels, ycrcb, lab, hsv" in done.stdout
    assert png_size(tmp_path / "c.png") == (3 * plot.PANEL_SIZE[0], 4 * plot.PANEL_SIZE[1])
    done = run("compare", tmp_path / "grey.png", "--methods", "opencv", "clahe", *modes, "-o", tmp_path / "g.png")
    assert done.returncode == 0, done.stderr
    assert png_size(tmp_path / "g.png") == (3 * plot.PANEL_SIZE[0], plot.PANEL_SIZE[1])
    # combinations the library refuses (clahe has no joint mode, skimage's floats no ycrcb) say why in their panel
    refused = ["--methods", "skimage", "clahe", "--colors", "joint", "ycrcb", "-o", tmp_path / "r.svg"]
    done = run("compare", tmp_path / "rgba.png", *refused)
    assert done.returncode == 0, done.stderr
    svg = (tmp_path / "r.svg").read_text()
    assert "tiles are spatial" in svg and "returns float64" in svg
    done = run("compare", tmp_path / "rgba.png", "--colors", "sepia", "-o", tmp_path / "x.png")
    assert done.returncode == 2 and "usage: histeq compare" in done.stderr


def test_compared_panels_per_colour_mode_are_the_librarys():
    import histeq

    rgb = RNG.integers(30, 160, (24, 20, 3), dtype=np.uint8)
    panels = plot.compared_panels(rgb, ("opencv", "clahe"), colour=True, colors=("channels", "joint", "lab"))
    labels = [label for label, _ in panels]
    assert labels == [
        *("original", "opencv, channels", "clahe, channels"),
        *("original", "opencv, joint", "clahe, joint"),
        *("original", "opencv, lab", "clahe, lab"),
    ]
    images = dict(panels)
    np.testing.assert_array_equal(images["opencv, joint"], histeq.equalize(rgb, channel_axis=-1, color="joint"))
    clahe = histeq.clahe(rgb, clip_limit=plot.FIGURE_CLAHE_CLIP, channel_axis=-1, color="lab")
    np.testing.assert_array_equal(images["clahe, lab"], clahe)
    assert isinstance(images["clahe, joint"], str) and "joint" in images["clahe, joint"]
    default = plot.compared_panels(rgb, ("opencv", "skimage", "clahe"), colour=True)
    assert [label for label, _ in default] == ["original", "opencv, ycrcb", "skimage, joint", "clahe, lab"]
    grey = plot.compared_panels(rgb[..., 0], ("opencv",), colors=("lab", "hsv"))
    assert [label for label, _ in grey] == ["original", "opencv"]
    figure = plot.comparison_figure(panels, colour=True, columns=3)
    assert tuple(figure.get_size_inches() * plot.FIGURE_DPI) == (3 * plot.PANEL_SIZE[0], 3 * plot.PANEL_SIZE[1])
