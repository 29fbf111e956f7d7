"""Image files beyond the pixels: 16-bit colour PNG, colour profile,
resolution, EXIF, orientation, streams and BigTIFF."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image, ImageOps

from conftest import ICC_PROFILE, camera_exif
from histeq.io import (
    ImageMetadata,
    ImageReadError,
    encode_image,
    read_image,
    read_image_with_metadata,
    write_image,
)

RNG = np.random.default_rng(5)


def _tags(exif: bytes) -> Image.Exif:
    tags = Image.Exif()
    tags.load(exif)
    return tags


@pytest.mark.parametrize("samples", [2, 3, 4])
def test_sixteen_bit_colour_png_keeps_sixteen_bits(tmp_path, samples):
    image = RNG.integers(0, 65536, (17, 23, samples), dtype=np.uint16)
    write_image(tmp_path / "a.png", image)
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), image)
    # OpenCV reads and writes 16-bit colour PNG too (BGR order): both ways agree.
    if samples >= 3:
        order = [2, 1, 0, 3][:samples]
        np.testing.assert_array_equal(cv2.imread(str(tmp_path / "a.png"), cv2.IMREAD_UNCHANGED), image[..., order])
        cv2.imwrite(str(tmp_path / "cv.png"), image[..., order])
        np.testing.assert_array_equal(read_image(tmp_path / "cv.png"), image)


@pytest.mark.parametrize(
    "png_filter",
    [
        cv2.IMWRITE_PNG_FILTER_NONE,
        cv2.IMWRITE_PNG_FILTER_SUB,
        cv2.IMWRITE_PNG_FILTER_UP,
        cv2.IMWRITE_PNG_FILTER_AVG,
        cv2.IMWRITE_PNG_FILTER_PAETH,
    ],
)
@pytest.mark.parametrize("samples", [3, 4])
def test_sixteen_bit_colour_png_every_row_filter_decodes_as_opencv_reads_it(tmp_path, png_filter, samples):
    ramp = np.add.outer(np.arange(37) * 900, np.arange(53) * 700)
    image = (ramp[..., None] + RNG.integers(0, 3000, (37, 53, samples))).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "f.png"), image, [cv2.IMWRITE_PNG_FILTER, png_filter])
    expected = cv2.imread(str(tmp_path / "f.png"), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(read_image(tmp_path / "f.png"), expected[..., [2, 1, 0, 3][:samples]])


@pytest.mark.parametrize("samples", [2, 3, 4])
def test_sixteen_bit_colour_png_written_in_filtered_pieces_reads_back_in_opencv_and_pypng(tmp_path, samples):
    import struct
    import zlib

    import png

    height, width = 240, 200  # deflated in at least two pieces of rows (64K samples or more each)
    image = RNG.integers(0, 65536, (height, width, samples), dtype=np.uint16)
    image[1:60] = image[0]  # "up" predicts these rows exactly
    ramp = np.arange(width, dtype=np.uint16)[:, None] * 911
    image[60:120] = RNG.integers(0, 9999, (60, 1, samples), dtype=np.uint16) + ramp  # "sub" almost
    smooth = np.add.outer(np.arange(height - 120) * 300, np.arange(width) * 500) % 65536
    image[120:] = smooth[..., None].astype(np.uint16)
    write_image(tmp_path / "p.png", image, metadata=ImageMetadata(icc_profile=ICC_PROFILE, dpi=(72.0, 72.0)))
    data = (tmp_path / "p.png").read_bytes()
    chunks, offset = [], 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        chunks.append((kind, data[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and kinds.count(b"IDAT") > 1
    assert kinds.index(b"iCCP") < kinds.index(b"IDAT") and kinds.index(b"pHYs") < kinds.index(b"IDAT")
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))  # one zlib stream
    filters = set(np.frombuffer(raw, np.uint8).reshape(height, -1)[:, 0].tolist())
    assert {1, 2} <= filters
    width_, height_, rows, info = png.Reader(bytes=data).asDirect()
    assert (width_, height_, info["planes"], info["bitdepth"]) == (width, height, samples, 16)
    np.testing.assert_array_equal(np.vstack([np.asarray(row, np.uint16) for row in rows]), image.reshape(height, -1))
    if samples > 2:  # OpenCV reads grey+alpha as colour
        order = [2, 1, 0, 3][:samples]
        np.testing.assert_array_equal(cv2.imread(str(tmp_path / "p.png"), cv2.IMREAD_UNCHANGED), image[..., order])
    np.testing.assert_array_equal(read_image(tmp_path / "p.png"), image)


def test_sixteen_bit_png_interlaced_transparent_and_truncated(tmp_path):
    import png

    image = RNG.integers(0, 65536, (9, 11, 3), dtype=np.uint16)
    with open(tmp_path / "interlaced.png", "wb") as file:
        png.Writer(11, 9, greyscale=False, bitdepth=16, interlace=True).write(file, image.reshape(9, -1))
    np.testing.assert_array_equal(read_image(tmp_path / "interlaced.png"), image)
    key = tuple(int(v) for v in image[0, 0])
    with open(tmp_path / "keyed.png", "wb") as file:  # a transparent colour: an alpha channel
        png.Writer(11, 9, greyscale=False, bitdepth=16, transparent=key).write(file, image.reshape(9, -1))
    keyed = read_image(tmp_path / "keyed.png")
    np.testing.assert_array_equal(keyed[..., :3], image)
    assert keyed[0, 0, 3] == 0 and (keyed[..., 3] == 0).sum() == (image == key).all(axis=-1).sum()
    write_image(tmp_path / "whole.png", image)
    (tmp_path / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:300])
    with pytest.raises(ImageReadError, match=r"cut\.png"):
        read_image(tmp_path / "cut.png")


@pytest.mark.parametrize(
    ("name", "image"),
    [
        ("grey.png", RNG.integers(0, 256, (12, 16), dtype=np.uint8)),
        ("grey16.png", RNG.integers(0, 65536, (12, 16), dtype=np.uint16)),
        ("rgb16.png", RNG.integers(0, 65536, (12, 16, 3), dtype=np.uint16)),
        ("rgb.jpg", RNG.integers(0, 256, (12, 16, 3), dtype=np.uint8)),
        ("rgba.tif", RNG.integers(0, 256, (12, 16, 4), dtype=np.uint8)),
        ("float.tif", RNG.random((12, 16)).astype(np.float32)),
    ],
)
def test_profile_resolution_and_exif_round_trip(tmp_path, name, image):
    path = tmp_path / name
    exif = camera_exif() if not name.endswith(".tif") else None
    write_image(path, image, metadata=ImageMetadata(icc_profile=ICC_PROFILE, dpi=(300.0, 150.0), exif=exif))
    back, metadata = read_image_with_metadata(path)
    if not name.endswith(".jpg"):
        np.testing.assert_array_equal(back, image)
    assert metadata.icc_profile == ICC_PROFILE
    assert metadata.dpi == pytest.approx((300.0, 150.0), abs=0.05)  # PNG stores dots per metre
    if exif is not None:
        assert _tags(metadata.exif)[0x010F] == "histeq camera"
        with Image.open(path) as opened:
            assert opened.getexif()[0x010F] == "histeq camera"
    assert metadata.format == {"png": "PNG", "jpg": "JPEG", "tif": "TIFF"}[name.rsplit(".", 1)[1]]
    # Pillow sees the same profile and resolution in the file histeq wrote.
    with Image.open(path) as opened:
        assert opened.info.get("icc_profile") == ICC_PROFILE
        assert opened.info["dpi"] == pytest.approx((300.0, 150.0), abs=0.05)


def test_files_without_metadata_give_none(tmp_path):
    write_image(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    assert read_image_with_metadata(tmp_path / "a.png")[1] == ImageMetadata(format="PNG")
    np.save(tmp_path / "a.npy", np.zeros((4, 4), np.int16))
    assert read_image_with_metadata(tmp_path / "a.npy")[1] == ImageMetadata(format="NPY")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_is_applied_alike_in_jpeg_png_and_tiff(tmp_path, orientation):
    stored = RNG.integers(0, 256, (6, 10), dtype=np.uint8)
    Image.fromarray(stored).save(tmp_path / "a.png", exif=camera_exif(orientation))
    upright = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "a.png")))
    tifffile.imwrite(tmp_path / "a.tif", stored, extratags=[(274, "H", 1, orientation, True)])
    stack = np.stack([stored, stored[::-1]])
    tifffile.imwrite(tmp_path / "stack.tif", stack, extratags=[(274, "H", 1, orientation, True)])
    png, metadata = read_image_with_metadata(tmp_path / "a.png")
    np.testing.assert_array_equal(png, upright)
    np.testing.assert_array_equal(read_image(tmp_path / "a.tif"), upright)
    np.testing.assert_array_equal(read_image(tmp_path / "stack.tif")[0], upright)
    tags = _tags(metadata.exif)
    assert tags[0x010F] == "histeq camera" and 0x0112 not in tags
    # What histeq writes back is upright and declares no turn: every reader agrees.
    write_image(tmp_path / "out.jpg", png, metadata=metadata)
    with Image.open(tmp_path / "out.jpg") as written:
        assert written.getexif().get(0x0112, 1) == 1
        assert written.getexif()[0x010F] == "histeq camera"
        assert written.size == (upright.shape[1], upright.shape[0])


def test_streams_read_like_files_and_encoded_bytes_read_back(tmp_path):
    image = RNG.integers(0, 65536, (9, 7), dtype=np.uint16)
    for file_format in ("PNG", "TIFF", "NPY"):
        data = encode_image(image, file_format, ImageMetadata(dpi=(72.0, 72.0)))
        np.testing.assert_array_equal(read_image(io.BytesIO(data)), image)

        class Pipe(io.RawIOBase):  # a stream that cannot seek, as standard input
            def __init__(self, data: bytes) -> None:
                self.inner = io.BytesIO(data)

            def readable(self) -> bool:
                return True

            def readinto(self, buffer) -> int:
                chunk = self.inner.read(len(buffer))
                buffer[: len(chunk)] = chunk
                return len(chunk)

        np.testing.assert_array_equal(read_image(Pipe(data)), image)
    with pytest.raises(ImageReadError, match="cannot read image from"):
        read_image(io.BytesIO(b"not an image at all"))
    with pytest.raises(ValueError, match="JPEG holds 8-bit"):
        encode_image(image, "JPEG")
    with pytest.raises(ValueError, match="cannot write format 'GIF'"):
        encode_image(image, "GIF")


def test_bigtiff_is_read_and_a_bomb_declared_in_it_is_refused_unread(tmp_path):
    image = RNG.integers(0, 65536, (3, 20, 30), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "big.tif", image, bigtiff=True, photometric="minisblack")
    with tifffile.TiffFile(tmp_path / "big.tif") as tif:
        assert tif.is_bigtiff
    np.testing.assert_array_equal(read_image(tmp_path / "big.tif"), image)
    # 2**17 x 2**17 pixels declared, no pixel data stored (a sparse, tiny file).
    tifffile.imwrite(tmp_path / "bomb.tif", shape=(2**17, 2**17), dtype=np.uint8, bigtiff=True)
    assert (tmp_path / "bomb.tif").stat().st_blocks * 512 < 2**20
    with pytest.raises(ImageReadError, match="17179869184 pixels, more than the limit"):
        read_image(tmp_path / "bomb.tif")
