"""What an image file carries besides its pixels that histeq keeps: colour
profile, resolution and EXIF, and the orientation that makes pixels upright.

Every reader returns upright pixels (the file's orientation applied), so the
metadata it returns never carries an orientation: outputs are upright with
no orientation to apply, whatever their format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image
    from tifffile import TiffTags

#: The EXIF/TIFF tag of the orientation.
ORIENTATION_TAG = 0x0112

#: Centimetres per inch (TIFF resolution unit 3 is per centimetre).
_CM_PER_INCH = 2.54


@dataclass(frozen=True)
class ImageMetadata:
    """What histeq keeps of an image file besides its pixels.

    Attributes
    ----------
    format : str or None
        The format the file was read as: ``"PNG"``, ``"JPEG"``, ``"TIFF"``,
        ``"NPY"``, or another name Pillow gives (``"BMP"``, ...).
    icc_profile : bytes or None
        The embedded ICC colour profile.
    dpi : (float, float) or None
        The resolution in pixels per inch, horizontal then vertical.
    exif : bytes or None
        The EXIF block (``b"Exif\\0\\0"`` and a TIFF structure, as Pillow
        writes it) without its orientation tag; read from PNG, JPEG, WebP
        and AVIF files and written to them (TIFF files keep profile and
        resolution only).
    quantization : tuple of tuple of int, or None
        A JPEG file's quantization tables (64 values each, in table order, as
        Pillow's ``JpegImageFile.quantization``), written again by JPEG
        outputs without a quality (Pillow's ``quality="keep"``).
    subsampling : int or None
        A colour JPEG file's chroma subsampling, Pillow's code: 0 (4:4:4),
        1 (4:2:2), 2 (4:2:0); None for grey files and other layouts.
    """

    format: str | None = None
    icc_profile: bytes | None = None
    dpi: tuple[float, float] | None = None
    exif: bytes | None = None
    quantization: tuple[tuple[int, ...], ...] | None = None
    subsampling: int | None = None


def pillow_metadata(image: Image.Image) -> ImageMetadata:
    """The metadata of an image Pillow opened, without its orientation.

    Parameters
    ----------
    image : PIL.Image.Image
        An opened image (its pixels need not be loaded).

    Returns
    -------
    ImageMetadata
        Pillow's format name, the ICC profile, the resolution in pixels per
        inch (when both are positive), but for TIFF the EXIF block without
        its orientation tag, and a grey or YCbCr JPEG's quantization tables
        and subsampling.
    """
    dpi = image.info.get("dpi")
    quantization, subsampling = _jpeg_tables(image)
    return ImageMetadata(
        format=image.format,
        icc_profile=image.info.get("icc_profile") or None,
        dpi=(float(dpi[0]), float(dpi[1])) if dpi and dpi[0] > 0 and dpi[1] > 0 else None,
        exif=_exif_without_orientation(image) if image.format != "TIFF" else None,  # TIFF: its tags
        quantization=quantization,
        subsampling=subsampling,
    )


def _jpeg_tables(image: Image.Image) -> tuple[tuple[tuple[int, ...], ...] | None, int | None]:
    """A JPEG's quantization tables and subsampling, as Pillow's
    ``quality="keep"`` takes them: grey (one layer) and three-layer files
    only (CMYK files are converted, their tables do not fit the output).
    Files turned upright by a quarter turn or a transposition (orientations
    5..8) get their tables transposed, so that each still weighs the
    frequencies it was made for; their subsampling is kept (the turned
    4:4:0 of a 4:2:2 file is no mode JPEG encoders write)."""
    tables = getattr(image, "quantization", None)
    layers = getattr(image, "layers", None)
    if image.format != "JPEG" or not tables or layers not in (1, 3):
        return None, None
    from PIL.JpegImagePlugin import get_sampling

    quantization = tuple(tuple(int(value) for value in tables[index]) for index in sorted(tables))
    if pillow_orientation(image) >= 5 and all(len(table) == 64 for table in quantization):  # rows <-> columns
        quantization = tuple(
            tuple(table[8 * column + row] for row in range(8) for column in range(8)) for table in quantization
        )
    sampling = get_sampling(image) if layers == 3 else -1
    return quantization, sampling if sampling >= 0 else None


def pillow_orientation(image: Image.Image) -> int:
    """The orientation (1..8, 1 = upright) an image Pillow opened declares:
    its EXIF orientation, else the one in its XMP, as
    ``PIL.ImageOps.exif_transpose`` reads it."""
    value = image.getexif().get(ORIENTATION_TAG, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def tiff_metadata(tags: TiffTags) -> ImageMetadata:
    """The metadata of a TIFF page's tags (``tifffile.TiffPage.tags``): format
    ``"TIFF"``, the ICC profile and the resolution in pixels per inch."""
    profile = tags.get("InterColorProfile")
    return ImageMetadata(
        format="TIFF",
        icc_profile=bytes(profile.value) if profile is not None else None,
        dpi=_tiff_dpi(tags),
    )


def tiff_orientation(tags: TiffTags) -> int:
    """The orientation (1..8, 1 = upright) a TIFF page's tags declare."""
    tag = tags.get("Orientation")
    value = int(tag.value) if tag is not None else 1
    return value if 1 <= value <= 8 else 1


def upright(array: np.ndarray, orientation: int, rows_axis: int) -> np.ndarray:
    """Apply an EXIF/TIFF orientation to an array, as Pillow's
    ``ImageOps.exif_transpose`` does to an image.

    Parameters
    ----------
    array : ndarray
        Any dtype, with rows and columns on axes ``rows_axis`` and ``rows_axis + 1``.
    orientation : int
        1..8 (1: upright already).
    rows_axis : int
        The axis of the rows (negative: counted from the end).

    Returns
    -------
    ndarray
        A view of ``array``, upright; its rows and columns axes swapped for
        orientations 5..8.
    """
    rows = rows_axis % array.ndim
    columns = rows + 1
    if orientation in (5, 6, 7, 8):  # a quarter turn swaps rows and columns
        array = np.swapaxes(array, rows, columns)
    flip_rows = orientation in (3, 4, 7, 8)
    flip_columns = orientation in (2, 3, 6, 7)
    index = [slice(None)] * array.ndim
    index[rows] = slice(None, None, -1) if flip_rows else slice(None)
    index[columns] = slice(None, None, -1) if flip_columns else slice(None)
    return array[tuple(index)]


def _exif_without_orientation(image: Image.Image) -> bytes | None:
    """The image's EXIF block without the orientation tag (the image's own
    EXIF is left as it is), or None when nothing else is left."""
    exif = image.getexif()
    orientation = exif.pop(ORIENTATION_TAG, None)
    try:
        return exif.tobytes() if len(exif) else None
    finally:
        if orientation is not None:
            exif[ORIENTATION_TAG] = orientation


def _tiff_dpi(tags: TiffTags) -> tuple[float, float] | None:
    x, y, unit_tag = tags.get("XResolution"), tags.get("YResolution"), tags.get("ResolutionUnit")
    unit = int(unit_tag.value) if unit_tag is not None else 2  # TIFF's default unit is the inch
    if x is None or y is None or unit not in (2, 3):
        return None
    per_unit = [_rational(tag.value) for tag in (x, y)]
    if min(per_unit) <= 0:
        return None
    scale = _CM_PER_INCH if unit == 3 else 1.0
    return (per_unit[0] * scale, per_unit[1] * scale)


def _rational(value: tuple[int, int] | float) -> float:
    if isinstance(value, tuple):
        numerator, denominator = value
        return numerator / denominator if denominator else 0.0
    return float(value)
