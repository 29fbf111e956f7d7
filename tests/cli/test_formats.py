"""The command line on every format and bit depth: pixels, metadata,
standard input and output, run for real in a subprocess."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tifffile
from PIL import Image

import histeq
from conftest import ICC_PROFILE, camera_exif
from histeq.io import (
    ImageMetadata,
    encode_image,
    read_image,
    read_image_with_metadata,
    write_image,
)

RNG = np.random.default_rng(17)
DPI = (300.0, 300.0)


def run(*args, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "histeq", *map(str, args)], capture_output=True, input=stdin, check=False
    )


def low(shape, dtype, top):
    return RNG.integers(top // 3, top, shape).astype(dtype)


def smooth(shape):
    """A low-contrast gradient: JPEG keeps it within a few levels."""
    ramp = np.add.outer(np.arange(shape[0]), np.arange(shape[1])) * 60 // (shape[0] + shape[1]) + 50
    return np.broadcast_to(ramp[..., None], shape).astype(np.uint8) if len(shape) == 3 else ramp.astype(np.uint8)


#: File name -> image; every format and bit depth histeq reads and writes.
IMAGES = {
    "grey8.png": low((20, 30), np.uint8, 120),
    "grey16.png": low((20, 30), np.uint16, 9000),
    "greyalpha8.png": low((20, 30, 2), np.uint8, 200),
    "rgb8.png": low((20, 30, 3), np.uint8, 120),
    "rgba8.png": low((20, 30, 4), np.uint8, 120),
    "greyalpha16.png": low((20, 30, 2), np.uint16, 30000),
    "rgb16.png": low((20, 30, 3), np.uint16, 30000),
    "rgba16.png": low((20, 30, 4), np.uint16, 30000),
    "grey.jpg": smooth((24, 32)),
    "rgb.jpg": smooth((24, 32, 3)),
    "grey8.tif": low((20, 30), np.uint8, 120),
    "rgb16.tif": low((20, 30, 3), np.uint16, 30000),
    "int32.tif": low((20, 30), np.int32, 70000),
    "float32.tif": RNG.random((20, 30)).astype(np.float32) * 0.3,
    "stack16.tif": low((3, 20, 30), np.uint16, 3000),
    "volume.npy": low((4, 10, 12), np.int16, 500),
}


def expected(image: np.ndarray, color: str = "ycrcb") -> np.ndarray:
    """What ``histeq equalize`` writes: colour by ``color`` (the default: YCrCb's Y; alpha
    kept), grey+alpha on its grey, from a plain copy of the colour samples."""
    result = image.copy()
    if image.ndim == 3 and image.shape[2] in (3, 4):
        result[..., :3] = histeq.equalize(np.ascontiguousarray(image[..., :3]), channel_axis=-1, color=color)
    elif image.ndim == 3 and image.shape[2] == 2:
        result[..., :1] = histeq.equalize(image[..., :1], channel_axis=-1)
    else:
        result = histeq.equalize(image)
    return result


def test_every_format_and_bit_depth_round_trips_with_its_metadata(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    for name, image in IMAGES.items():
        suffix = name.rsplit(".", 1)[1]
        metadata = ImageMetadata(
            icc_profile=ICC_PROFILE if suffix != "npy" else None,
            dpi=DPI if suffix != "npy" else None,
            exif=camera_exif() if suffix in ("png", "jpg") else None,
        )
        write_image(source / name, image, metadata=metadata)
    tifffile.imwrite(source / "big.tif", IMAGES["stack16.tif"], bigtiff=True, photometric="minisblack")
    done = run("equalize", source, "-o", tmp_path / "out", "--workers", "2")
    assert done.returncode == 0, done.stderr
    for name in [*IMAGES, "big.tif"]:
        given, given_metadata = read_image_with_metadata(source / name)
        result, metadata = read_image_with_metadata(tmp_path / "out" / name)
        assert result.dtype == given.dtype and result.shape == given.shape, name
        assert metadata == given_metadata, name
        if not name.endswith(".jpg"):  # JPEG is lossy: its pixels are checked below
            np.testing.assert_array_equal(result, expected(given), err_msg=name)
    for name in ("grey.jpg", "rgb.jpg"):
        decoded = read_image(tmp_path / "out" / name).astype(int)
        assert np.abs(decoded - expected(read_image(source / name))).mean() < 3


def test_rgb_jpeg_is_the_file_pillow_writes_of_the_equalized_pixels(tmp_path):
    # The command reads and writes 8-bit RGB in Pillow's own pixel memory
    # (no copies; the colour spaces convert 4-byte pixels in place): the file
    # is the one encoding the library's result on a plain array gives, in
    # the default colour mode and in every other.
    ramp = np.tile(smooth((24, 32, 3)), (20, 20, 1))
    photo = (ramp * np.array([1.0, 0.8, 0.6]) + RNG.integers(0, 12, ramp.shape)).astype(np.uint8)
    write_image(tmp_path / "rgb.jpg", photo, metadata=ImageMetadata(dpi=DPI))
    given, metadata = read_image_with_metadata(tmp_path / "rgb.jpg")
    assert given.strides[1] == 4  # Pillow's pixels, as the command reads them
    wanted = encode_image(expected(np.ascontiguousarray(given)), "JPEG", metadata)
    assert run("equalize", tmp_path / "rgb.jpg", "-o", tmp_path / "out.jpg").returncode == 0
    assert (tmp_path / "out.jpg").read_bytes() == wanted
    streamed = run("equalize", tmp_path / "rgb.jpg", "-o", "-", "--format", "jpeg")
    assert streamed.stdout == wanted
    for color in ("channels", "joint", "lab", "hsv"):
        wanted = encode_image(expected(np.ascontiguousarray(given), color), "JPEG", metadata)
        assert run("equalize", tmp_path / "rgb.jpg", "-o", tmp_path / f"{color}.jpg", "--color", color).returncode == 0
        assert (tmp_path / f"{color}.jpg").read_bytes() == wanted, color


def test_orientation_is_applied_and_not_applied_twice(tmp_path):
    stored = low((10, 16), np.uint8, 120)
    # Orientation 6: turn 90 degrees clockwise to view.
    Image.fromarray(stored).save(tmp_path / "turned.png", exif=camera_exif(6))
    assert run("equalize", tmp_path / "turned.png", "-o", tmp_path / "out.png").returncode == 0
    upright = np.rot90(stored, -1)
    np.testing.assert_array_equal(read_image(tmp_path / "out.png"), histeq.equalize(upright))
    with Image.open(tmp_path / "out.png") as written:
        assert written.size == (10, 16) and written.getexif().get(0x0112, 1) == 1


def test_standard_input_and_output(tmp_path):
    image = low((20, 30), np.uint16, 9000)
    png = encode_image(image, "PNG", ImageMetadata(dpi=DPI))
    done = run("equalize", "-", "-o", "-", stdin=png)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"\x89PNG") and b"->" in done.stderr
    result, metadata = read_image_with_metadata(__import__("io").BytesIO(done.stdout))
    np.testing.assert_array_equal(result, histeq.equalize(image))
    assert metadata.dpi == pytest.approx(DPI, abs=0.05)
    as_tiff = run("equalize", "-", "-o", "-", "--format", "tiff", stdin=png)
    assert as_tiff.stdout[:4] == b"II*\x00"
    write_image(tmp_path / "a.tif", image)
    from_file = run("clahe", tmp_path / "a.tif", "-o", "-", "--tile-grid", "2", "--dtype-bins")
    np.testing.assert_array_equal(
        tifffile.imread(__import__("io").BytesIO(from_file.stdout)), histeq.clahe(image, tile_grid=2)
    )
    to_file = run("equalize", "-", "-o", tmp_path / "b.png", stdin=png)
    assert to_file.returncode == 0 and to_file.stdout.endswith(b"(equalize, opencv)\n")
    np.testing.assert_array_equal(read_image(tmp_path / "b.png"), histeq.equalize(image))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-", "x.png", "-o", "out"), "standard input) reads one image"),
        (("x.png", "y.png", "-o", "-"), "a batch needs an output folder"),
        (("-", "-o", "-", "--json"), "--json and -o -"),
        (("-", "-o", "-", "--plot"), "-o - has none"),
        (("-", "-o", "out.png", "--format", "png"), "--format is for -o -"),
    ],
)
def test_streams_refuse_what_they_cannot_do(args, message):
    done = run("equalize", *args, stdin=b"")
    assert done.returncode == 2 and message in done.stderr.decode() and not done.stdout
    assert done.stderr.decode().startswith("usage: histeq equalize ")


def test_garbage_on_standard_input_is_one_line_and_nothing_on_standard_output():
    done = run("equalize", "-", "-o", "-", stdin=b"not an image")
    assert done.returncode == 1 and not done.stdout
    assert "cannot read image from <stdin>" in done.stderr.decode() and "Traceback" not in done.stderr.decode()
