"""Image files beyond the pixels: 16-bit colour PNG, colour profile,
resolution, EXIF, orientation, streams and BigTIFF."""

from __future__ import annotations

import io
import logging
import struct
import zlib

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


#: The first bytes of every PNG file.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Adam7's passes: first row, first column, row step, column step.
ADAM7 = ((0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_chunks(data: bytes) -> list[tuple[bytes, bytes, bool]]:
    """``(type, body, CRC right)`` of each chunk of a PNG file."""
    chunks, offset = [], len(PNG_SIGNATURE)
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        chunks.append((kind, body, crc == zlib.crc32(kind + body)))
        offset += 12 + length
    return chunks


def with_chunk(data: bytes, chunk: bytes, before: bytes) -> bytes:
    """``data`` with ``chunk`` inserted before its first chunk of type ``before``."""
    at = data.index(before) - 4
    return data[:at] + chunk + data[at:]


def sixteen_bit_png(image: np.ndarray, *, interlaced: bool = False) -> bytes:
    """A 16-bit PNG of ``image`` ``(H, W, 2|3|4)`` made here, unfiltered; Adam7 if ``interlaced``."""
    height, width, samples = image.shape
    passes = ADAM7 if interlaced else ((0, 0, 1, 1),)
    rows = [row for r, c, dr, dc in passes for row in image[r::dr, c::dc].astype(">u2") if row.size]
    header = struct.pack(">IIBBBBB", width, height, 16, {2: 4, 3: 2, 4: 6}[samples], 0, 0, int(interlaced))
    pixels = zlib.compress(b"".join(b"\x00" + row.tobytes() for row in rows))
    return PNG_SIGNATURE + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b"")


@pytest.mark.parametrize("samples", [2, 3, 4])
def test_sixteen_bit_colour_png_keeps_sixteen_bits(tmp_path, samples):
    image = RNG.integers(0, 65536, (17, 23, samples), dtype=np.uint16)
    write_image(tmp_path / "a.png", image)
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), image)
    np.testing.assert_array_equal(read_image(io.BytesIO(sixteen_bit_png(image))), image)
    big_endian = image[:, ::2].astype(">u2")  # written in native order; any strides
    np.testing.assert_array_equal(read_image(io.BytesIO(encode_image(big_endian, "PNG"))), big_endian)


@pytest.mark.parametrize("samples", [2, 3, 4])
def test_sixteen_bit_colour_png_reads_back_in_opencv_with_its_metadata(tmp_path, samples):
    cv2 = pytest.importorskip("cv2")
    ramp = np.add.outer(np.arange(240) * 300, np.arange(200) * 500) % 65536
    image = (ramp[..., None] + RNG.integers(0, 3000, (240, 200, samples))).astype(np.uint16)
    metadata = ImageMetadata(icc_profile=ICC_PROFILE, dpi=(72.0, 96.0), exif=camera_exif())
    write_image(tmp_path / "p.png", image, metadata=metadata)
    data = (tmp_path / "p.png").read_bytes()
    kinds = [kind for kind, _, _ in png_chunks(data)]
    assert all(right for _, _, right in png_chunks(data))
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    assert kinds[1:4] == [b"iCCP", b"pHYs", b"eXIf"] and set(kinds[4:-1]) == {b"IDAT"}
    # OpenCV (its own libpng) decodes the same pixels, in BGR(A) order; grey+alpha as BGRA.
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    order = {2: [0, 0, 0, 1], 3: [2, 1, 0], 4: [2, 1, 0, 3]}[samples]
    np.testing.assert_array_equal(decoded, image[..., order])
    back, read_metadata = read_image_with_metadata(tmp_path / "p.png")
    np.testing.assert_array_equal(back, image)
    assert read_metadata.icc_profile == ICC_PROFILE and read_metadata.format == "PNG"
    assert read_metadata.dpi == pytest.approx((72.0, 96.0), abs=0.05)
    assert _tags(read_metadata.exif)[0x010F] == "histeq camera"
    # And histeq reads what OpenCV writes.
    if samples > 2:
        cv2.imwrite(str(tmp_path / "cv.png"), image[..., order])
        np.testing.assert_array_equal(read_image(tmp_path / "cv.png"), image)


@pytest.mark.parametrize("png_filter", ["NONE", "SUB", "UP", "AVG", "PAETH"])
@pytest.mark.parametrize("samples", [3, 4])
def test_sixteen_bit_colour_png_every_row_filter_decodes_as_opencv_reads_it(tmp_path, png_filter, samples):
    cv2 = pytest.importorskip("cv2")
    ramp = np.add.outer(np.arange(37) * 900, np.arange(53) * 700)
    image = (ramp[..., None] + RNG.integers(0, 3000, (37, 53, samples))).astype(np.uint16)
    options = [cv2.IMWRITE_PNG_FILTER, getattr(cv2, f"IMWRITE_PNG_FILTER_{png_filter}")]
    cv2.imwrite(str(tmp_path / "f.png"), image, options)
    expected = cv2.imread(str(tmp_path / "f.png"), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(read_image(tmp_path / "f.png"), expected[..., [2, 1, 0, 3][:samples]])


@pytest.mark.parametrize("samples", [2, 3, 4])
def test_sixteen_bit_png_interlaced(caplog, samples):
    image = RNG.integers(0, 65536, (9, 11, samples), dtype=np.uint16)
    with caplog.at_level(logging.WARNING):
        np.testing.assert_array_equal(read_image(io.BytesIO(sixteen_bit_png(image, interlaced=True))), image)
        # libpng's warnings while histeq decodes (here: "Interlace handling should be
        # turned on", from imagecodecs' call order) are not passed on; others are.
        assert not caplog.records
        logging.getLogger("imagecodecs").warning("not from histeq")
    assert [record.getMessage() for record in caplog.records] == ["not from histeq"]


def test_sixteen_bit_png_transparent_colour_becomes_an_alpha_channel():
    image = RNG.integers(0, 65536, (9, 11, 3), dtype=np.uint16)
    image[3:5, 2:7] = image[0, 0]
    keyed = with_chunk(sixteen_bit_png(image), png_chunk(b"tRNS", image[0, 0].astype(">u2").tobytes()), b"IDAT")
    read = read_image(io.BytesIO(keyed))
    assert read.shape == (9, 11, 4) and read.dtype == np.uint16
    np.testing.assert_array_equal(read[..., :3], image)
    np.testing.assert_array_equal(read[..., 3], np.where((image == image[0, 0]).all(axis=-1), 0, 65535))


def test_sixteen_bit_png_truncated_or_corrupt_is_a_read_error(tmp_path):
    image = RNG.integers(0, 65536, (9, 11, 3), dtype=np.uint16)
    write_image(tmp_path / "whole.png", image)
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[:300])
    with pytest.raises(ImageReadError, match=r"cut\.png.*truncated PNG"):
        read_image(tmp_path / "cut.png")
    (tmp_path / "no-end.png").write_bytes(data[: data.index(b"IDAT") + 40])
    with pytest.raises(ImageReadError, match=r"no-end\.png.*truncated PNG"):
        read_image(tmp_path / "no-end.png")
    at = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[at - 4 : at])
    for where, reason in ((at + 20, "incorrect data check"), (at + 4 + length, "IDAT: CRC error")):
        damaged = bytearray(data)
        damaged[where] ^= 0xFF  # a byte of the compressed pixels, then of the chunk's CRC
        (tmp_path / "damaged.png").write_bytes(bytes(damaged))
        with pytest.raises(ImageReadError, match=rf"damaged\.png.*corrupt or truncated PNG \(libpng: .*{reason}"):
            read_image(tmp_path / "damaged.png")


def test_sixteen_bit_png_too_large_is_refused_from_its_header_before_decoding(tmp_path, monkeypatch):
    imagecodecs = pytest.importorskip("imagecodecs")
    # 40000 x 40000 pixels declared (over MAX_PIXELS), no pixel data to speak of.
    header = struct.pack(">IIBBBBB", 40000, 40000, 16, 2, 0, 0, 0)
    bomb = PNG_SIGNATURE + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    image = RNG.integers(0, 65536, (17, 23, 4), dtype=np.uint16)
    write_image(tmp_path / "small.png", image)

    def refused(*args, **kwargs):
        raise AssertionError("decoded despite max_pixels")

    monkeypatch.setattr(imagecodecs, "png_decode", refused)
    with pytest.raises(ImageReadError, match="declares 1600000000 pixels, more than the limit of 1073741824"):
        read_image(io.BytesIO(bomb))
    with pytest.raises(ImageReadError, match=r"small\.png.*declares 391 pixels, more than the limit of 390"):
        read_image(tmp_path / "small.png", max_pixels=390)
    monkeypatch.undo()
    np.testing.assert_array_equal(read_image(tmp_path / "small.png", max_pixels=391), image)


def xmp_orientation(orientation: int) -> bytes:
    """An iTXt chunk of XMP that declares an orientation, as Photoshop writes it."""
    xmp = f'<x:xmpmeta><rdf:Description tiff:Orientation="{orientation}"/></x:xmpmeta>'.encode()
    return png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp)


@pytest.mark.parametrize("where", ["eXIf first", "eXIf after the pixels", "XMP"])
def test_sixteen_bit_png_orientation_and_exif_are_read_as_from_any_png(where):
    # A 16-bit colour PNG and an 8-bit one with the same metadata chunks:
    # the same turn applied, the same metadata read (Pillow reads the 8-bit one).
    stored8 = RNG.integers(0, 256, (6, 10, 3), dtype=np.uint8)
    files = {8: encode_image(stored8, "PNG"), 16: sixteen_bit_png(stored8.astype(np.uint16) * 257)}
    exif = png_chunk(b"eXIf", camera_exif(6).removeprefix(b"Exif\x00\x00"))
    for depth, data in files.items():
        if where == "XMP":
            files[depth] = with_chunk(data, xmp_orientation(6), b"IDAT")
        else:
            files[depth] = with_chunk(data, exif, b"IDAT" if where == "eXIf first" else b"IEND")
    image8, metadata8 = read_image_with_metadata(io.BytesIO(files[8]))
    image16, metadata16 = read_image_with_metadata(io.BytesIO(files[16]))
    np.testing.assert_array_equal(image8, np.rot90(stored8, -1))
    np.testing.assert_array_equal(image16, image8.astype(np.uint16) * 257)
    assert metadata16 == metadata8
    if where != "XMP":
        tags = _tags(metadata16.exif)
        assert tags[0x010F] == "histeq camera" and 0x0112 not in tags


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
