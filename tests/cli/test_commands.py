"""The ``histeq`` command, run for real in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

import histeq
from histeq import plot
from histeq._core.methods import EQUALIZE_METHODS as METHODS
from histeq.demo_image import SIZE, demo_image
from histeq.io import read_image, write_image


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "histeq", *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def grey(tmp_path):
    path = tmp_path / "grey.png"
    write_image(path, demo_image()[::2, ::2])
    return path


def test_equalize_grey_matches_the_library_and_opencv(tmp_path, grey):
    done = run("equalize", grey, "-o", tmp_path / "out.png")
    assert done.returncode == 0, done.stderr
    result = read_image(tmp_path / "out.png")
    image = read_image(grey)
    np.testing.assert_array_equal(result, histeq.equalize(image))
    np.testing.assert_array_equal(result, cv2.equalizeHist(image))


def test_new_methods_and_target(tmp_path, grey):
    image = read_image(grey)
    for method in ("matlab", "bbhe", "dsihe"):
        assert run("equalize", grey, "-o", tmp_path / f"{method}.png", "--method", method).returncode == 0
        np.testing.assert_array_equal(read_image(tmp_path / f"{method}.png"), histeq.equalize(image, method=method))
    assert run("equalize", grey, "-o", tmp_path / "g.png", "--target", "gaussian").returncode == 0
    np.testing.assert_array_equal(read_image(tmp_path / "g.png"), histeq.equalize(image, target="gaussian"))
    done = run("equalize", grey, "-o", tmp_path / "x.png", "--target", "gaussian", "--method", "bbhe")
    assert done.returncode == 2 and "--target" in done.stderr  # a usage error, before any file


def test_methods_mask_and_skimage_rounding(tmp_path, grey):
    image = read_image(grey)
    mask = np.zeros(image.shape, np.uint8)
    mask[10:100, 20:200] = 255
    write_image(tmp_path / "mask.png", mask)
    done = run("equalize", grey, "-o", tmp_path / "m.png", "--method", "pillow", "--mask", tmp_path / "mask.png")
    assert done.returncode == 0, done.stderr
    expected = histeq.equalize(image, method="pillow", mask=mask != 0)
    np.testing.assert_array_equal(read_image(tmp_path / "m.png"), expected)
    assert run("equalize", grey, "-o", tmp_path / "s.png", "--method", "skimage").returncode == 0
    expected = np.rint(histeq.equalize(image, method="skimage") * 255).astype(np.uint8)
    np.testing.assert_array_equal(read_image(tmp_path / "s.png"), expected)


def test_rgb_per_channel_and_alpha_kept(tmp_path):
    rgba = np.dstack([demo_image()[:64, :80], demo_image()[64:128, :80] // 2, demo_image()[:64, 80:160]])
    rgba = np.dstack([rgba, np.full((64, 80), 77, np.uint8)])
    write_image(tmp_path / "rgba.png", rgba)
    assert run("equalize", tmp_path / "rgba.png", "-o", tmp_path / "out.png", "--color", "channels").returncode == 0
    result = read_image(tmp_path / "out.png")
    np.testing.assert_array_equal(result[..., :3], histeq.equalize(rgba[..., :3], channel_axis=-1))
    np.testing.assert_array_equal(result[..., 3], 77)
    assert run("equalize", tmp_path / "rgba.png", "-o", tmp_path / "luma.png").returncode == 0  # default: ycrcb
    result = read_image(tmp_path / "luma.png")
    np.testing.assert_array_equal(result[..., :3], histeq.equalize(rgba[..., :3], channel_axis=-1, color="ycrcb"))
    np.testing.assert_array_equal(result[..., 3], 77)


def test_sixteen_bit_tiff(tmp_path):
    image = (demo_image().astype(np.uint16) * 200)[:100, :120]
    write_image(tmp_path / "a.tif", image)
    assert run("equalize", tmp_path / "a.tif", "-o", tmp_path / "b.tif").returncode == 0
    np.testing.assert_array_equal(read_image(tmp_path / "b.tif"), histeq.equalize(image))


def test_errors_are_one_line_without_traceback(tmp_path, grey):
    cases = [
        (("equalize", tmp_path / "missing.png", "-o", tmp_path / "x.png"), 1, "missing.png"),
        (("equalize", grey, "-o", grey, "--force"), 1, "is the input"),
        (("equalize", grey, "-o", tmp_path / "x.webpx"), 2, "suffix"),
        (("equalize", grey, "-o", tmp_path / "x.png", "--method", "nope"), 2, "invalid choice"),
        (("equalize", grey, "-o", tmp_path / "x.png", "--nbins", "0"), 2, "--nbins"),
    ]
    for args, status, message in cases:
        done = run(*args)
        assert done.returncode == status, (args, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.png").exists()


def test_existing_output_needs_force(tmp_path, grey):
    out = tmp_path / "out.png"
    out.write_bytes(b"precious")
    done = run("equalize", grey, "-o", out)
    assert done.returncode == 1 and "--force" in done.stderr
    assert out.read_bytes() == b"precious"
    assert run("equalize", grey, "-o", out, "--force").returncode == 0
    assert read_image(out).shape == read_image(grey).shape


def test_version_and_help():
    done = run("--version")
    assert done.returncode == 0 and histeq.__version__ in done.stdout
    done = run("--help")
    assert done.returncode == 0 and "equalize" in done.stdout and "demo" in done.stdout


def test_clahe_grey_16_bit_and_rgb(tmp_path, grey):
    done = run("clahe", grey, "-o", tmp_path / "c.png", "--clip-limit", "2", "--tile-grid", "4", "6")
    assert done.returncode == 0, done.stderr
    image = read_image(grey)
    expected = cv2.createCLAHE(2.0, (6, 4)).apply(image)
    np.testing.assert_array_equal(read_image(tmp_path / "c.png"), expected)
    deep = image.astype(np.uint16) * 257
    write_image(tmp_path / "deep.png", deep)
    done = run("clahe", tmp_path / "deep.png", "-o", tmp_path / "d.png", "--clip-limit", "3", "--dtype-bins")
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(read_image(tmp_path / "d.png"), cv2.createCLAHE(3.0, (8, 8)).apply(deep))
    rgb = np.dstack([image, image[::-1], image[:, ::-1]])
    write_image(tmp_path / "rgb.png", rgb)
    assert run("clahe", tmp_path / "rgb.png", "-o", tmp_path / "r.png", "--tile-grid", "3").returncode == 0
    expected = histeq.clahe(rgb, tile_grid=3, channel_axis=-1, color="lab")  # colour: Lab's L by default
    np.testing.assert_array_equal(read_image(tmp_path / "r.png"), expected)
    assert run("clahe", grey, "-o", tmp_path / "s.png", "--method", "skimage", "--kernel-size", "32").returncode == 0
    expected = np.rint(histeq.clahe(image, method="skimage", kernel_size=32) * 255).astype(np.uint8)
    np.testing.assert_array_equal(read_image(tmp_path / "s.png"), expected)
    done = run("clahe", grey, "-o", tmp_path / "bad.png", "--tile-grid", "0", "8")
    assert done.returncode == 2 and "--tile-grid" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "bad.png").exists()
    done = run("clahe", grey, "-o", tmp_path / "c.png")
    assert done.returncode == 1 and "--force" in done.stderr


def test_demo_writes_every_method_and_a_comparison(tmp_path):
    done = run("demo", "-o", tmp_path / "d")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert names == sorted(["original.png", "comparison.png", "clahe.png"] + [f"{m}.png" for m in METHODS])
    np.testing.assert_array_equal(read_image(tmp_path / "d" / "original.png"), demo_image())
    np.testing.assert_array_equal(read_image(tmp_path / "d" / "opencv.png"), cv2.equalizeHist(demo_image()))
    clahe = cv2.createCLAHE(plot.FIGURE_CLAHE_CLIP, (8, 8)).apply(demo_image())
    np.testing.assert_array_equal(read_image(tmp_path / "d" / "clahe.png"), clahe)
    with Image.open(tmp_path / "d" / "comparison.png") as figure:
        panels = len(METHODS) + 2  # original, every method, clahe
        assert figure.format == "PNG"
        columns = -(-panels // 2)  # in two rows
        assert figure.size == (columns * plot.PANEL_SIZE[0], 2 * plot.PANEL_SIZE[1])
    lines = done.stdout.splitlines()
    table = [line for line in lines if line.endswith((".png", " file")) and not line.startswith("side by side")]
    assert len(table) == panels + 1  # the header, then a row per panel
    levels_end = table[0].index("levels") + len("levels")  # the columns line up, imagej-classic's row too
    assert all(line[levels_end - 1].isdigit() and line[levels_end] == " " for line in table[1:])
    again = run("demo", "-o", tmp_path / "d")
    assert again.returncode == 1 and "--force" in again.stderr
    assert run("demo", "-o", tmp_path / "d", "--force").returncode == 0


def test_demo_image_is_deterministic_and_low_contrast():
    image = demo_image()
    assert image.shape == (SIZE, SIZE) and image.dtype == np.uint8
    np.testing.assert_array_equal(image, demo_image())
    assert np.unique(image).size >= 40 and image.max() - image.min() < 100


def test_import_stays_light():
    code = "import histeq, sys; heavy = {'numba', 'PIL', 'tifffile'} & set(sys.modules); assert not heavy, heavy"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_output_may_not_be_the_input_under_another_name_or_the_mask(tmp_path, grey):
    link = tmp_path / "link.png"
    os.link(grey, link)
    done = run("equalize", grey, "-o", link, "--force")
    assert done.returncode == 1 and "is the input" in done.stderr
    mask = tmp_path / "mask.png"
    write_image(mask, np.full(read_image(grey).shape, 255, np.uint8))
    done = run("equalize", grey, "-o", mask, "--mask", mask, "--force")
    assert done.returncode == 1 and "is the mask" in done.stderr


def test_colour_mask_is_refused(tmp_path, grey):
    image = read_image(grey)
    write_image(tmp_path / "mask.png", np.zeros(image.shape + (3,), np.uint8))
    done = run("equalize", grey, "-o", tmp_path / "out.png", "--mask", tmp_path / "mask.png")
    assert done.returncode == 1 and "grey" in done.stderr and not (tmp_path / "out.png").exists()


def test_skimage_result_spans_the_signed_range(tmp_path):
    image = (demo_image().astype(np.int16) * 100 - 12000)[:64, :64]
    write_image(tmp_path / "a.tif", image)
    assert run("equalize", tmp_path / "a.tif", "-o", tmp_path / "b.tif", "--method", "skimage").returncode == 0
    result = read_image(tmp_path / "b.tif")
    assert result.dtype == np.int16 and result.max() == 32767
    expected = -32768 + np.rint(histeq.equalize(image, method="skimage") * 65535)
    np.testing.assert_array_equal(result, expected.astype(np.int16))


def test_demo_refuses_a_dangling_link_in_the_way(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "comparison.png").symlink_to(tmp_path / "nowhere")
    done = run("demo", "-o", folder)
    assert done.returncode == 1 and "--force" in done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["comparison.png"]


def test_exact_specification_flattens_the_histogram_exactly(tmp_path, grey):
    done = run("exact", grey, "-o", tmp_path / "flat.png")
    assert done.returncode == 0, done.stderr
    assert "(exact)" in done.stdout
    image = read_image(grey)
    result = read_image(tmp_path / "flat.png")
    np.testing.assert_array_equal(result, histeq.exact_specification(image))
    counts = np.bincount(result.ravel(), minlength=256)
    assert counts.max() - counts.min() <= 1
    gaussian = run("exact", grey, "-o", tmp_path / "g.png", "--target", "gaussian", "--filters", "2")
    assert gaussian.returncode == 0, gaussian.stderr
    np.testing.assert_array_equal(
        read_image(tmp_path / "g.png"), histeq.exact_specification(image, target="gaussian", filters=2)
    )


def test_exact_specification_per_colour_channel_with_a_mask(tmp_path):
    rgba = np.dstack([demo_image()[::4, ::4]] * 3 + [np.full((SIZE // 4, SIZE // 4), 200, np.uint8)])
    rgba[..., 1] //= 2
    write_image(tmp_path / "rgba.png", rgba)
    mask = np.zeros(rgba.shape[:2], np.uint8)
    mask[10:60, 20:100] = 255
    write_image(tmp_path / "mask.png", mask)
    done = run(
        "exact",
        tmp_path / "rgba.png",
        "-o",
        tmp_path / "out.png",
        "--mask",
        tmp_path / "mask.png",
        "--color",
        "channels",
    )
    assert done.returncode == 0, done.stderr
    result = read_image(tmp_path / "out.png")
    expected = histeq.exact_specification(rgba[..., :3], channel_axis=-1, mask=mask > 0)
    np.testing.assert_array_equal(result[..., :3], expected)
    np.testing.assert_array_equal(result[..., 3], rgba[..., 3])  # alpha kept
    np.testing.assert_array_equal(result[mask == 0], rgba[mask == 0])  # outside the mask: untouched
