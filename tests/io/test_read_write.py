"""Reading and writing image files: round trips, errors, safe writes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from histeq.io import ImageReadError, read_image, read_image_with_metadata, write_image

RNG = np.random.default_rng(11)


@pytest.mark.parametrize(
    ("name", "array"),
    [
        ("grey8.png", RNG.integers(0, 256, (20, 30), dtype=np.uint8)),
        ("grey16.png", RNG.integers(0, 65536, (20, 30), dtype=np.uint16)),
        ("rgb.png", RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8)),
        ("rgba.png", RNG.integers(0, 256, (20, 30, 4), dtype=np.uint8)),
        ("grey16.tif", RNG.integers(0, 65536, (20, 30), dtype=np.uint16)),
        ("rgb16.tif", RNG.integers(0, 65536, (20, 30, 3), dtype=np.uint16)),
        ("float.tif", RNG.random((20, 30)).astype(np.float32)),
        ("stack.tif", RNG.integers(0, 256, (4, 20, 30), dtype=np.uint8)),
    ],
)
def test_lossless_round_trips(tmp_path, name, array):
    path = tmp_path / name
    write_image(path, array)
    back = read_image(path)
    assert back.dtype == array.dtype
    np.testing.assert_array_equal(back, array)


def test_jpeg_round_trip_is_close(tmp_path):
    smooth = np.tile(np.linspace(40, 200, 64).astype(np.uint8), (48, 1))
    write_image(tmp_path / "a.jpg", smooth)
    back = read_image(tmp_path / "a.jpg")
    assert back.shape == smooth.shape and back.dtype == np.uint8
    assert np.abs(back.astype(int) - smooth).max() <= 4


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(ImageReadError, match=r"missing\.png"):
        read_image(tmp_path / "missing.png")
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with pytest.raises(ImageReadError, match=r"corrupt\.png"):
        read_image(corrupt)
    truncated = tmp_path / "truncated.png"
    write_image(tmp_path / "whole.png", RNG.integers(0, 256, (64, 64), dtype=np.uint8))
    truncated.write_bytes((tmp_path / "whole.png").read_bytes()[:200])
    with pytest.raises(ImageReadError, match=r"truncated\.png"):
        read_image(truncated)


def test_refuses_to_overwrite_and_leaves_no_temporary_files(tmp_path):
    image = RNG.integers(0, 256, (8, 8), dtype=np.uint8)
    write_image(tmp_path / "a.png", image)
    with pytest.raises(FileExistsError, match="pass overwrite=True to replace it"):
        write_image(tmp_path / "a.png", image[::-1])
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), image)
    write_image(tmp_path / "a.png", image[::-1], overwrite=True)
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), image[::-1])
    with pytest.raises(ValueError, match="PNG"):
        write_image(tmp_path / "b.png", image.astype(np.float64))
    with pytest.raises(ValueError, match="suffix"):
        write_image(tmp_path / "c.bmpx", image)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_failed_encoding_removes_the_temporary_file(tmp_path, monkeypatch):
    def broken(file, array, file_format, metadata, quality):
        file.write(b"half an image")
        raise OSError("disk full")

    monkeypatch.setattr("histeq.io.write._encode", broken)
    with pytest.raises(OSError, match="disk full"):
        write_image(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    assert list(tmp_path.iterdir()) == []


def _photo() -> np.ndarray:
    data = pytest.importorskip("skimage.data")
    return data.astronaut()[:300, :400]


def test_rgb_pixels_are_read_from_pillows_memory_without_a_copy(tmp_path):
    # An RGB JPEG comes back as a read-only view of Pillow's 4-byte pixels,
    # equal to np.asarray of Pillow's image and valid after Pillow let it go.
    import gc

    from PIL import Image

    from histeq.io import rgb_view

    path = tmp_path / "photo.jpg"
    Image.fromarray(_photo()).save(path, quality=90)
    with Image.open(path) as image:
        expected = np.asarray(image.convert("RGB")).copy()
    pixels = read_image_with_metadata(path)[0]
    gc.collect()
    np.testing.assert_array_equal(pixels, expected)
    assert not pixels.flags.writeable
    if hasattr(Image.Image, "__arrow_c_array__"):  # Pillow >= 11.2
        assert pixels.strides == (4 * 400, 4, 1)
    assert read_image(path).flags.writeable
    assert rgb_view(Image.new("L", (4, 3))) is None
    assert rgb_view(Image.new("RGB", (3000, 2000))) is None  # over one 16 MB block: not exported


def test_jpeg_written_from_pillows_layout_without_a_copy_is_the_same_file(tmp_path):
    from PIL import Image

    from histeq.io import padded_rgb, rgbx_image

    photo = _photo()
    padded = padded_rgb(photo.shape)
    padded[...] = photo
    shared = rgbx_image(padded)
    assert shared.mode == "RGBX" and shared.getpixel((5, 7))[:3] == tuple(photo[7, 5])
    assert rgbx_image(photo) is None and rgbx_image(padded[:, ::2]) is None
    write_image(tmp_path / "padded.jpg", padded)
    Image.fromarray(photo).save(tmp_path / "pillow.jpg", quality=95)
    assert (tmp_path / "padded.jpg").read_bytes() == (tmp_path / "pillow.jpg").read_bytes()


def test_importing_the_io_wing_imports_no_codec():
    # Pillow, tifffile, imagecodecs and numba are imported by the functions that use them.
    code = "import histeq.io, sys; print([m for m in ('numba', 'imagecodecs', 'PIL', 'tifffile') if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
