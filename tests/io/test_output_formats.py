"""Every output format: a round trip of each layout it holds, refusals that
name what can hold the image, and the quality of the lossy formats (a JPEG
input's own tables kept by default)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, features

from histeq.io import (
    OUTPUT_FORMATS,
    ImageMetadata,
    encode_image,
    read_image,
    read_image_with_metadata,
    read_suffixes,
    write_image,
)
from histeq.io.formats import layout_of

RNG = np.random.default_rng(24)


def smooth(samples: int, top: int = 255) -> np.ndarray:
    """Gradients with a little noise, ``(24, 32)`` or ``(24, 32, samples)``: lossy
    formats keep them within a few levels, lossless ones exactly. Alpha, the
    last of 2 or 4 samples, is never 0 (WebP drops the colour of such pixels)."""
    y, x = np.mgrid[0:24, 0:32]
    planes = [x * 2 + y * (k + 1) + 20 + RNG.integers(0, 4, x.shape) for k in range(max(samples, 1))]
    image = np.stack(planes, axis=-1) if samples else planes[0]
    return (image * (top // 255)).astype(np.uint8 if top == 255 else np.uint16)


#: One image of each layout and bit depth.
IMAGES = {
    ("uint8", "grey"): smooth(0),
    ("uint8", "grey+alpha"): smooth(2),
    ("uint8", "RGB"): smooth(3),
    ("uint8", "RGBA"): smooth(4),
    ("uint16", "grey"): smooth(0, 65535),
    ("uint16", "RGB"): smooth(3, 65535),
}


def _available(output) -> bool:
    return output.feature is None or features.check(output.feature)


CASES = [
    pytest.param(output, key, id=f"{output.name}-{key[0]}-{key[1]}")
    for output in OUTPUT_FORMATS
    for key in IMAGES
    if output.holds is not None and key[1] in output.holds.get(key[0], ())
]


@pytest.mark.parametrize(("output", "key"), CASES)
def test_every_layout_a_format_holds_round_trips(tmp_path, output, key):
    if not _available(output):
        pytest.skip(f"this Pillow has no {output.name} codec")
    image = IMAGES[key]
    for suffix in output.suffixes:
        path = tmp_path / f"image{suffix.upper() if suffix == output.suffixes[-1] else suffix}"
        write_image(path, image, quality=100 if output.lossy else None)
        back = read_image(path)
        assert back.shape == image.shape and back.dtype == image.dtype
        if output.lossy:  # quality 100 of noise: close, not equal
            assert np.abs(back.astype(int) - image.astype(int)).mean() < 8
        else:
            np.testing.assert_array_equal(back, image)


@pytest.mark.parametrize("output", [output for output in OUTPUT_FORMATS if output.holds is not None], ids=str)
def test_layouts_a_format_cannot_hold_are_refused_naming_what_can(tmp_path, output):
    for (dtype, layout), image in IMAGES.items():
        if layout in output.holds.get(dtype, ()):
            continue
        path = tmp_path / f"x{output.suffixes[0]}"
        with pytest.raises(ValueError, match=rf"{output.name} holds .* images; got .* \(use \.png or \.tif\)"):
            write_image(path, image)
        assert not path.exists()


def test_sixteen_bits_into_jpeg_says_why():
    with pytest.raises(ValueError, match=r"JPEG holds 8-bit grey and RGB images; got 16-bit grey pixels"):
        encode_image(IMAGES[("uint16", "grey")], "JPEG")


def test_layout_names():
    assert [layout_of(shape) for shape in ((2, 3), (2, 3, 2), (2, 3, 3), (2, 3, 4), (2, 3, 5), (2, 3, 4, 1))] == [
        "grey",
        "grey+alpha",
        "RGB",
        "RGBA",
        None,
        None,
    ]


def test_folder_runs_read_every_suffix_pillow_opens():
    suffixes = read_suffixes()
    assert {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".npy", ".bmp", ".gif", ".pgm"} <= suffixes
    assert ".webp" in suffixes or not features.check("webp")
    assert not {".txt", ".pdf", ".eps", ".csv"} & suffixes
    common = read_suffixes(common=True)
    assert {".png", ".jpg", ".jpeg", ".tif", ".npy", ".bmp", ".gif"} <= common <= suffixes


def photo(shape=(240, 320)) -> np.ndarray:
    """A smooth colour picture with edges: what JPEG is for."""
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    rgb = np.stack([x * 200 // shape[1] + 20, y * 180 // shape[0] + 30, (x + y) % 97 + 60], axis=-1)
    rgb[60:120, 80:200] = (200, 40, 60)
    return (rgb + RNG.integers(0, 6, rgb.shape)).astype(np.uint8)


def jpeg_bytes(image: np.ndarray, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", **options)
    return buffer.getvalue()


@pytest.mark.parametrize(("quality", "subsampling"), [(60, 2), (90, 2), (90, 0), (75, 1)])
def test_jpeg_keeps_the_inputs_tables_and_subsampling_by_default(quality, subsampling):
    source = jpeg_bytes(photo(), quality=quality, subsampling=subsampling)
    pixels, metadata = read_image_with_metadata(io.BytesIO(source))
    assert metadata.subsampling == subsampling and metadata.quantization is not None
    result = np.ascontiguousarray(255 - pixels)  # any new pixels
    written = encode_image(result, "JPEG", metadata)
    with Image.open(io.BytesIO(source)) as original:  # what Pillow's quality="keep" passes for a JPEG image
        reference = jpeg_bytes(result, qtables=original.quantization, subsampling=subsampling)
    assert abs(len(written) - len(reference)) <= 0.05 * len(reference)
    with Image.open(io.BytesIO(written)) as again, Image.open(io.BytesIO(source)) as original:
        assert again.quantization == original.quantization
    fixed = encode_image(result, "JPEG", metadata, quality=95)  # a quality given wins over the tables
    assert len(fixed) != len(written)


@pytest.mark.parametrize("orientation", [1, 3, 5, 6, 7, 8])
def test_jpeg_tables_of_a_photo_turned_upright_are_turned_with_it(orientation):
    # Asymmetric tables: fine steps along rows, coarse along columns.
    table = [1 + 2 * row + 20 * column for row in range(8) for column in range(8)]
    exif = Image.Exif()
    exif[0x0112] = orientation
    source = jpeg_bytes(photo(), qtables=[table, table], subsampling=0, exif=exif.tobytes())
    pixels, metadata = read_image_with_metadata(io.BytesIO(source))
    turned = orientation >= 5
    assert pixels.shape[:2] == ((320, 240) if turned else (240, 320))
    expected = [table[8 * column + row] for row in range(8) for column in range(8)] if turned else table
    assert metadata.quantization == (tuple(expected), tuple(expected))
    with Image.open(io.BytesIO(encode_image(pixels, "JPEG", metadata))) as written:
        assert written.quantization == {0: expected, 1: expected}


def test_grey_jpeg_keeps_its_table_and_other_inputs_get_quality_95():
    grey = photo()[..., 0]
    source = jpeg_bytes(grey, quality=70)
    pixels, metadata = read_image_with_metadata(io.BytesIO(source))
    assert metadata.subsampling is None and len(metadata.quantization) == 1
    written = encode_image(pixels, "JPEG", metadata)
    with Image.open(io.BytesIO(written)) as again, Image.open(io.BytesIO(source)) as original:
        assert again.quantization == original.quantization
    assert encode_image(pixels, "JPEG", ImageMetadata()) == jpeg_bytes(pixels, quality=95)


@pytest.mark.parametrize("file_format", ["WEBP", "AVIF", "JPEG"])
def test_quality_of_lossy_formats(file_format):
    if file_format != "JPEG" and not features.check(file_format.lower()):
        pytest.skip(f"this Pillow has no {file_format} codec")
    image = photo()
    small, large = (encode_image(image, file_format, quality=q) for q in (30, 95))
    assert len(small) < len(large)
    default = encode_image(image, file_format)
    assert default == encode_image(image, file_format, quality=95 if file_format == "JPEG" else 90)
    with pytest.raises(ValueError, match=r"quality must be a whole number in 1\.\.100"):
        encode_image(image, file_format, quality=0)
    assert read_image(io.BytesIO(large)).shape == image.shape
