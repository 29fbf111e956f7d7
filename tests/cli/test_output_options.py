"""The command line's outputs: every format Pillow writes, folder runs that take
every image and count the other files, ``--quality`` (a JPEG input's own
tables by default) and ``--suffix``. Run for real in a subprocess."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, features
from PIL.JpegImagePlugin import get_sampling

import histeq
from histeq.demo_image import demo_image
from histeq.io import read_image, write_image


def run(*args):
    return subprocess.run([sys.executable, "-m", "histeq", *map(str, args)], capture_output=True, text=True)


def colour_photo() -> np.ndarray:
    """A low-contrast colour picture of 240x320: the demo scene tinted per channel."""
    grey = demo_image()[::2, ::2][:240, :320].astype(np.int16)
    return np.clip(np.dstack([grey + 10, grey, grey - 20]), 0, 255).astype(np.uint8)


def luminance_equalized(image: np.ndarray) -> np.ndarray:
    return histeq.equalize(image, channel_axis=-1, color="ycrcb")


@pytest.mark.parametrize(
    ("suffix", "feature"),
    [(".bmp", None), (".webp", "webp"), (".avif", "avif"), (".jp2", "jpg_2000"), (".tga", None), (".ppm", None)],
)
def test_one_file_to_each_new_format(tmp_path, suffix, feature):
    if feature is not None and not features.check(feature):
        pytest.skip(f"this Pillow has no {feature} codec")
    source = tmp_path / "photo.png"
    write_image(source, colour_photo())
    output = tmp_path / f"out{suffix}"
    done = run("equalize", source, "-o", output)
    assert done.returncode == 0, done.stderr
    result = read_image(output)
    expected = luminance_equalized(colour_photo())
    assert result.shape == expected.shape and result.dtype == np.uint8
    if suffix in (".webp", ".avif"):  # lossy, quality 90
        assert np.abs(result.astype(int) - expected).mean() < 6
    else:
        np.testing.assert_array_equal(result, expected)


def test_what_a_format_cannot_hold_fails_that_file_saying_why(tmp_path):
    source = tmp_path / "deep.png"
    write_image(source, demo_image().astype(np.uint16) * 100)
    done = run("equalize", source, "-o", tmp_path / "out.jpg")
    assert done.returncode == 1 and "JPEG holds 8-bit grey and RGB images; got 16-bit grey pixels" in done.stderr
    assert "(use .png or .tif)" in done.stderr and not (tmp_path / "out.jpg").exists()


def test_folder_runs_take_every_readable_image_and_count_the_rest(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    image = colour_photo()
    Image.fromarray(image).save(folder / "a.bmp")
    Image.fromarray(image).save(folder / "b.webp", lossless=True)
    Image.fromarray(image[..., 0]).save(folder / "c.pgm")
    write_image(folder / "d.png", image)
    for name in ("notes.txt", "data.csv", "README"):
        (folder / name).write_text("not an image")
    done = run("equalize", folder, "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "4 done, 0 skipped, 0 failed (4 files)" in done.stdout and "; 3 skipped: not images" in done.stdout
    assert sorted(os.listdir(tmp_path / "out")) == ["a.bmp", "b.webp", "c.pgm", "d.png"]
    np.testing.assert_array_equal(read_image(tmp_path / "out" / "a.bmp"), luminance_equalized(image))
    np.testing.assert_array_equal(read_image(tmp_path / "out" / "c.pgm"), histeq.equalize(image[..., 0]))
    report = json.loads(run("equalize", folder, "-o", tmp_path / "out", "--json").stdout)
    assert sorted(os.path.basename(path) for path in report["not_images"]) == ["README", "data.csv", "notes.txt"]
    assert report["totals"] == {"done": 0, "skipped": 4, "failed": 0, "files": 4}


def photo_jpeg(path, quality: int, subsampling: int) -> None:
    big = np.asarray(Image.fromarray(colour_photo()).resize((640, 480), Image.Resampling.BICUBIC))
    Image.fromarray(big).save(path, quality=quality, subsampling=subsampling)


@pytest.mark.parametrize(("quality", "subsampling"), [(90, 2), (80, 0)])
def test_jpeg_to_jpeg_keeps_the_inputs_tables_by_default(tmp_path, quality, subsampling):
    source = tmp_path / "photo.jpg"
    photo_jpeg(source, quality, subsampling)
    done = run("equalize", source, "-o", tmp_path / "out.jpg")
    assert done.returncode == 0, done.stderr
    pixels = luminance_equalized(read_image(source))
    reference = io.BytesIO()  # Pillow's save of the same pixels with the input's tables and subsampling
    with Image.open(source) as original:
        Image.fromarray(pixels).save(
            reference, format="JPEG", qtables=original.quantization, subsampling=get_sampling(original)
        )
        tables = original.quantization
    size = (tmp_path / "out.jpg").stat().st_size
    assert abs(size - len(reference.getvalue())) <= 0.05 * len(reference.getvalue())
    with Image.open(tmp_path / "out.jpg") as written:
        assert written.quantization == tables and get_sampling(written) == subsampling


def test_quality_option_sets_jpeg_webp_and_avif_quality(tmp_path):
    source = tmp_path / "photo.jpg"
    photo_jpeg(source, 90, 2)
    sizes = {}
    for quality in (30, 95):
        done = run("equalize", source, "-o", tmp_path / f"q{quality}.jpg", "--quality", quality)
        assert done.returncode == 0, done.stderr
        sizes[quality] = (tmp_path / f"q{quality}.jpg").stat().st_size
    assert sizes[30] < sizes[95]
    pixels = read_image(tmp_path / "q30.jpg")
    expected = io.BytesIO()
    Image.fromarray(luminance_equalized(read_image(source))).save(expected, format="JPEG", quality=30)
    assert sizes[30] == len(expected.getvalue())  # no metadata in the input: the same bytes
    assert pixels.shape == (480, 640, 3)
    for suffix, feature in ((".webp", "webp"), (".avif", "avif")):
        if not features.check(feature):
            continue
        small, large = tmp_path / f"small{suffix}", tmp_path / f"large{suffix}"
        assert run("equalize", source, "-o", small, "--quality", "20").returncode == 0
        assert run("equalize", source, "-o", large).returncode == 0  # default 90
        assert small.stat().st_size < large.stat().st_size


def test_suffix_writes_beside_each_input_and_a_rerun_resumes(tmp_path):
    folder = tmp_path / "shots"
    (folder / "sub").mkdir(parents=True)
    write_image(folder / "a.png", demo_image()[::4, ::4])
    write_image(folder / "sub" / "b.png", demo_image()[::8, ::8])
    done = run("equalize", folder, "--suffix", "-eq", "--plot")
    assert done.returncode == 0, done.stderr
    assert "2 done, 0 skipped, 0 failed (2 files)" in done.stdout
    assert sorted(path.name for path in folder.rglob("*")) == sorted(
        ["a.png", "a-eq.png", "a-eq.plot.png", "sub", "b.png", "b-eq.png", "b-eq.plot.png"]
    )
    np.testing.assert_array_equal(read_image(folder / "a-eq.png"), histeq.equalize(demo_image()[::4, ::4]))
    (folder / "sub" / "b-eq.png").unlink()  # as if the first run had stopped there
    again = run("equalize", folder, "--suffix", "-eq", "--plot", "--force")
    assert again.returncode == 0, again.stderr
    assert "2 done, 0 skipped, 0 failed (2 files)" in again.stdout
    assert "3 skipped: outputs of --suffix -eq" in again.stdout  # never a-eq-eq.png
    assert not list(folder.rglob("*-eq-eq*"))
    resumed = run("equalize", folder, "--suffix", "-eq")
    assert "0 done, 2 skipped, 0 failed (2 files)" in resumed.stdout


def test_suffix_never_writes_over_an_input(tmp_path):
    write_image(tmp_path / "a.png", demo_image()[::4, ::4])
    original = (tmp_path / "a.png").read_bytes()
    write_image(tmp_path / "a.tif", demo_image()[::4, ::4])
    (tmp_path / "a-x.tif").symlink_to(tmp_path / "a.png")  # the output name of a.tif is an input file
    done = run("equalize", tmp_path / "a.tif", tmp_path / "a.png", "--suffix", "-x", "--force")
    assert done.returncode == 1 and "is an input file; not written over" in done.stderr
    assert (tmp_path / "a.png").read_bytes() == original and (tmp_path / "a-x.png").exists()


def test_format_converts_a_batch_and_a_gif_folder_needs_it(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    image = colour_photo()
    Image.fromarray(image).quantize(64).save(folder / "a.gif")  # read as RGB; histeq writes no GIF
    write_image(folder / "b.png", image)
    done = run("equalize", folder, "-o", tmp_path / "same")
    assert done.returncode == 1 and "unsupported suffix '.gif'" in done.stderr
    done = run("equalize", folder, "-o", tmp_path / "out", "--format", "png")
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(tmp_path / "out")) == ["a.png", "b.png"]
    gif = read_image(folder / "a.gif")
    np.testing.assert_array_equal(read_image(tmp_path / "out" / "a.png"), luminance_equalized(gif))
    done = run("equalize", folder / "b.png", "--suffix", "-eq", "--format", "jpeg", "--quality", "70")
    assert done.returncode == 0 and (folder / "b-eq.jpg").exists(), done.stderr
    with Image.open(folder / "b-eq.jpg") as written:
        assert written.format == "JPEG"
    done = run("equalize", folder, "-o", tmp_path / "lossless", "--format", "png", "--quality", "70")
    assert done.returncode == 2 and "--quality is for" in done.stderr
