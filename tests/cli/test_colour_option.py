"""Colour on the command line: ``--color`` and the default modes of every command, alpha
kept, run for real in a subprocess and compared with the library called on plain arrays."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

import histeq
from conftest import skimage_image
from histeq.cli.parser import color_choices
from histeq.io import read_image, write_image
from histeq.plot import DEFAULT_COLORS

RNG = np.random.default_rng(41)
COMMANDS = ("equalize", "clahe", "match", "exact")


def run(*args):
    return subprocess.run([sys.executable, "-m", "histeq", *map(str, args)], capture_output=True, text=True)


def photo() -> np.ndarray:
    """A small colour photo (scikit-image's astronaut), darkened: low contrast."""
    return (skimage_image("astronaut")[::8, ::8] // 2 + 20).astype(np.uint8)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Every colour layout of a file (and grey), in a folder: name -> image."""
    rgb = photo()
    # every visible alpha level, in no order (transparent pixels, alpha 0, are not
    # counted by default: their own tests, with --count-transparent)
    alpha = RNG.integers(1, 256, rgb.shape[:2], dtype=np.uint8)
    deep = rgb.astype(np.uint16) * 200 + RNG.integers(0, 200, rgb.shape, dtype=np.uint16)
    files = {
        "grey.png": rgb[..., 1],
        "greyalpha.png": np.dstack([rgb[..., 0], alpha]),
        "rgb.png": rgb,
        "rgba.png": np.dstack([rgb[::-1], alpha]),
        "rgb16.png": deep,
        "rgba16.png": np.dstack([deep[:, ::-1], alpha.astype(np.uint16) * 257]),
    }
    folder = tmp_path_factory.mktemp("colour")
    for name, image in files.items():
        write_image(folder / name, image)
    reference = np.ascontiguousarray(skimage_image("coffee")[::8, ::8])
    write_image(folder / "reference.png", reference)
    return folder, files, reference


def operate(command: str, image: np.ndarray, reference: np.ndarray, **options) -> np.ndarray:
    """The library's operation, as each command calls it with default options."""
    if command == "equalize":
        return histeq.equalize(image, **options)
    if command == "clahe":
        return histeq.clahe(image, **options)
    if command == "exact":
        return histeq.exact_specification(image, **options)
    if options:  # colour: the reference's colour samples
        return histeq.match_histograms(image, reference, **options)
    return histeq.match_histograms(image, reference)


def expected(command: str, image: np.ndarray, color: str | None, reference: np.ndarray) -> np.ndarray:
    """What a command writes for ``image``: grey as it is; the colour samples
    of a colour layout (a plain copy) in the colour mode, alpha put back by
    hand; grey+alpha per channel whatever ``--color`` says."""
    if image.ndim == 2:
        return operate(command, image, reference)
    samples = 1 if image.shape[2] == 2 else 3
    mode = "channels" if samples == 1 else color or DEFAULT_COLORS[command]
    colour = np.ascontiguousarray(image[..., :samples])
    result = image.copy()
    result[..., :samples] = operate(command, colour, reference, channel_axis=-1, color=mode)
    return result


@pytest.mark.parametrize(
    ("command", "color"),
    [(command, color) for command in COMMANDS for color in (None, *color_choices(command))],
    ids=lambda value: value or "default",
)
def test_every_color_of_every_command_is_the_librarys(tmp_path, images, command, color):
    # One batch per mode over grey, grey+alpha, RGB, RGBA, 16-bit RGB and RGBA
    # PNG (--color lab on 16-bit RGB: CIE Lab): each output is the library's
    # call with that color= on the plain colour samples; alpha (every level)
    # comes back byte-identical; grey ignores --color, grey+alpha stays per channel.
    folder, files, reference = images
    names = sorted(files)
    options = ["--reference", folder / "reference.png"] if command == "match" else []
    if command == "clahe":  # 16-bit images with OpenCV's bins, the library's default (test_deep_clahe: the CLI's)
        options = ["--dtype-bins"]
    if command == "match":  # a colour reference: the colour files only
        names = [name for name in names if name.startswith("rgb")]
    done = run(
        command, *[folder / name for name in names], "-o", tmp_path, *options, *(["--color", color] * bool(color))
    )
    assert done.returncode == 0, done.stderr
    for name in names:
        image = read_image(folder / name)
        result = read_image(tmp_path / name)
        assert result.dtype == image.dtype and result.shape == image.shape, name
        np.testing.assert_array_equal(result, expected(command, image, color, reference), err_msg=name)
        if image.ndim == 3 and image.shape[2] in (2, 4):
            assert result[..., -1].tobytes() == image[..., -1].tobytes(), name
    if color is None and command in ("equalize", "clahe"):  # the defaults are OpenCV's round trips, bit for bit
        rgb = files["rgb.png"]
        result = read_image(tmp_path / "rgb.png")
        if command == "equalize":
            ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
            ycrcb[..., 0] = cv2.equalizeHist(np.ascontiguousarray(ycrcb[..., 0]))
            np.testing.assert_array_equal(result, cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB))
        else:
            lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)
            lab[..., 0] = cv2.createCLAHE(40.0, (8, 8)).apply(np.ascontiguousarray(lab[..., 0]))
            np.testing.assert_array_equal(result, cv2.cvtColor(lab, cv2.COLOR_Lab2RGB))


def test_skimage_methods_treat_colour_as_scikit_image(tmp_path, images):
    # --method skimage returns floats, which YCrCb and Lab cannot take back:
    # its defaults are scikit-image's own colour handling.
    exposure = pytest.importorskip("skimage.exposure")
    folder, files, reference = images
    rgb, rgba = files["rgb.png"], files["rgba.png"]

    def levels(values):
        return np.rint(values * 255).astype(np.uint8)

    done = run("equalize", folder / "rgb.png", folder / "rgba.png", "-o", tmp_path / "e", "--method", "skimage")
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(read_image(tmp_path / "e" / "rgb.png"), levels(exposure.equalize_hist(rgb)))
    result = read_image(tmp_path / "e" / "rgba.png")
    np.testing.assert_array_equal(result[..., :3], levels(exposure.equalize_hist(rgba[..., :3])))
    np.testing.assert_array_equal(result[..., 3], rgba[..., 3])
    done = run("clahe", folder / "rgb.png", folder / "rgba.png", "-o", tmp_path / "c", "--method", "skimage")
    assert done.returncode == 0, done.stderr
    adapted = exposure.equalize_adapthist(rgb)
    assert np.abs(read_image(tmp_path / "c" / "rgb.png").astype(int) - levels(adapted)).max() <= 1
    np.testing.assert_array_equal(
        read_image(tmp_path / "c" / "rgb.png"),
        levels(histeq.clahe(rgb, method="skimage", channel_axis=-1, color="hsv")),
    )
    result = read_image(tmp_path / "c" / "rgba.png")
    wanted = levels(histeq.clahe(np.ascontiguousarray(rgba[..., :3]), method="skimage", channel_axis=-1, color="hsv"))
    np.testing.assert_array_equal(result[..., :3], wanted)
    np.testing.assert_array_equal(result[..., 3], rgba[..., 3])
    ref = folder / "reference.png"
    done = run("match", folder / "rgb.png", "-o", tmp_path / "m.png", "--reference", ref, "--method", "skimage")
    assert done.returncode == 0, done.stderr
    matched = exposure.match_histograms(rgb, reference, channel_axis=-1)  # per channel, truncated
    np.testing.assert_array_equal(read_image(tmp_path / "m.png"), matched.astype(np.uint8))


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("equalize", "--color", "rainbow"), 2, "usage: histeq equalize"),
        (("clahe", "--color", "joint"), 2, "usage: histeq clahe"),
        (("exact", "--color", "joint"), 2, "usage: histeq exact"),
        (("match", "--color", "RGB", "--reference", "r.png"), 2, "usage: histeq match"),
        (("equalize", "--color", "ycrcb", "--method", "skimage"), 2, "use --color channels or joint"),
        (("clahe", "--color", "lab", "--method", "skimage"), 2, "hsv (scikit-image's own colour CLAHE)"),
    ],
    ids=["equalize", "clahe-joint", "exact-joint", "match", "equalize-skimage", "clahe-skimage"],
)
def test_a_color_the_command_cannot_give_is_refused_before_any_file(tmp_path, images, args, status, message):
    folder, _, _ = images
    command, *options = args
    done = run(command, folder / "rgb.png", "-o", tmp_path / "out.png", *options)
    assert done.returncode == status and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out.png").exists()
    assert done.stderr.startswith(f"usage: histeq {command} ")
    if message.startswith("usage"):
        assert "argument --color: invalid choice" in done.stderr


def test_colour_spaces_refuse_images_they_cannot_convert_per_file(tmp_path):
    # Floats outside [0, 1] (the library's message) and signed integers: that
    # file fails, saying to use --color channels; the others are done.
    rgb = photo()
    (tmp_path / "in").mkdir()
    write_image(tmp_path / "in" / "high.tif", rgb.astype(np.float32) / 100)  # up to 1.4
    write_image(tmp_path / "in" / "fine.tif", rgb.astype(np.float32) / 255)
    write_image(tmp_path / "in" / "signed.tif", rgb.astype(np.int16) - 50)
    done = run("equalize", tmp_path / "in", "-o", tmp_path / "out")
    assert done.returncode == 1 and "1 done, 0 skipped, 2 failed" in done.stdout
    high, signed = sorted(line for line in done.stderr.splitlines() if line.startswith("histeq: error:"))
    assert "high.tif" in high and "samples in [0, 1]" in high and "use --color channels" in high
    assert "(the default for colour images)" in high
    assert "signed.tif" in signed and "int16" in signed and "use --color channels" in signed
    fine = read_image(tmp_path / "in" / "fine.tif")
    np.testing.assert_array_equal(
        read_image(tmp_path / "out" / "fine.tif"), histeq.equalize(fine, channel_axis=-1, color="ycrcb")
    )
    done = run("equalize", tmp_path / "in", "-o", tmp_path / "channels", "--color", "channels")
    assert done.returncode == 0, done.stderr
    high = read_image(tmp_path / "in" / "high.tif")
    np.testing.assert_array_equal(
        read_image(tmp_path / "channels" / "high.tif"), histeq.equalize(high, channel_axis=-1)
    )
