"""Writing image files: the format from the suffix, whether it holds the array
(:mod:`.formats`), and the writer of that format (:mod:`.png16`,
:mod:`.pillow`, :mod:`.tiff`, :mod:`.npy`), safely (:mod:`.safe_write`)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .common import native
from .formats import FORMATS_BY_NAME, WRITE_FORMATS
from .metadata import ImageMetadata
from .pillow import write_pillow
from .safe_write import write_safely


def write_image(
    path: str | os.PathLike[str],
    array: np.ndarray,
    *,
    metadata: ImageMetadata | None = None,
    overwrite: bool = False,
    quality: int | None = None,
) -> None:
    """Write an image file, safely: the file appears complete or not at all.

    The format comes from the suffix (case-insensitive, see
    :data:`WRITE_FORMATS`); :func:`encode_image` lists what each holds. The
    data go to a temporary file ``.histeq-*`` in the destination folder,
    which is then moved into place; on any error it is removed.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its folder must exist.
    array : ndarray
        The image, as :func:`encode_image` lists.
    metadata : ImageMetadata, optional
        The ICC profile, resolution and EXIF to write, where the format
        holds them, and a JPEG input's quantization tables and chroma
        subsampling (see :func:`encode_image`).
    overwrite : bool, default False
        Replace ``path`` if it exists. Without it an existing file is never
        replaced, even one created while this function runs.
    quality : int, optional
        1..100, for JPEG, WebP and AVIF (ignored by the lossless formats);
        see :func:`encode_image` for the default.

    Raises
    ------
    ValueError
        For an unsupported suffix, an array the format cannot hold (the
        message says which format can), a quality outside 1..100, or a
        format this Pillow has no codec for.
    FileExistsError
        When ``path`` exists and ``overwrite`` is False.
    FileNotFoundError
        When the folder of ``path`` does not exist.
    OSError
        When the file cannot be written.
    """
    path = Path(path)
    array = np.asarray(array)
    file_format = format_of(path)
    _check_writable(array, file_format, repr(str(path)), quality)

    def encode(file: BinaryIO) -> None:
        _encode(file, native(array), file_format, metadata or ImageMetadata(), quality)

    write_safely(path, encode, overwrite=overwrite)


def encode_image(
    array: np.ndarray, file_format: str, metadata: ImageMetadata | None = None, *, quality: int | None = None
) -> bytes:
    """An image file's bytes, in memory (for standard output, or to send on).

    ============  =============================================================
    PNG           uint8 or uint16 ``(H, W)``, ``(H, W, 2)``, ``(H, W, 3)``,
                  ``(H, W, 4)`` (16-bit colour with libpng, through
                  imagecodecs); profile, resolution and EXIF kept
    TIFF          any integer or float array tifffile writes: ``(H, W, 3)`` and
                  ``(H, W, 4)`` as RGB (the 4th sample as alpha), ``(H, W, 2)``
                  as grey with alpha, anything else as grey (pages), as
                  BigTIFF when over 4 GB; profile and resolution kept
    JPEG          uint8 ``(H, W)`` and ``(H, W, 3)``; profile, resolution and
                  EXIF kept. Quality: ``quality``, else the quantization
                  tables and chroma subsampling of ``metadata`` (a JPEG
                  input's, as Pillow's ``quality="keep"``), else 95
    NPY           any integer or float array (``np.save``); no metadata
    WEBP          uint8 RGB, RGBA (lossy, quality 90 by default); profile and EXIF kept
    AVIF          uint8 grey, RGB, RGBA (lossy, quality 90 by default); profile and EXIF kept
    JPEG2000      uint8 grey, grey+alpha, RGB, RGBA and uint16 grey (``.jp2``, lossless)
    BMP           uint8 grey, RGB; resolution kept
    PPM           uint8 grey (``.pgm``), RGB (``.ppm``), uint16 grey
    TGA           uint8 grey, grey+alpha, RGB, RGBA
    QOI           uint8 RGB, RGBA
    SGI           uint8 grey, RGB, RGBA
    ============  =============================================================

    Every format but JPEG, WebP and AVIF gives back exactly the array
    written. WebP, AVIF and JPEG 2000 need Pillow built with their codec.

    Parameters
    ----------
    array : ndarray
        The image, as listed above.
    file_format : str
        A format of the table (:func:`format_of` gives it for a file name).
    metadata : ImageMetadata, optional
        The profile, resolution and EXIF to write, and for JPEG the tables
        to keep.
    quality : int, optional
        1..100 (Pillow's scale; JPEG above 95 gains little), for JPEG, WebP
        and AVIF; ignored by the other formats.

    Returns
    -------
    bytes
        The whole file. Needs the file's size in memory beyond the array.

    Raises
    ------
    ValueError
        For an unknown format, an array the format cannot hold, a quality
        outside 1..100 or a codec this Pillow lacks.
    """
    if file_format not in FORMATS_BY_NAME:
        raise ValueError(f"cannot write format {file_format!r}; use one of {sorted(FORMATS_BY_NAME)}")
    array = np.asarray(array)
    _check_writable(array, file_format, f"a {file_format} image", quality)
    buffer = io.BytesIO()
    _encode(buffer, native(array), file_format, metadata or ImageMetadata(), quality)
    return buffer.getvalue()


def format_of(path: str | os.PathLike[str]) -> str:
    """The format a file name's suffix asks for.

    Parameters
    ----------
    path : str or os.PathLike
        A file name; only its suffix counts (case-insensitive).

    Returns
    -------
    str
        A format name of :data:`WRITE_FORMATS`: ``"PNG"``, ``"TIFF"``,
        ``"JPEG"``, ``"NPY"``, ``"WEBP"``, ...

    Raises
    ------
    ValueError
        For any other suffix, naming the supported ones.
    """
    path = Path(path)
    try:
        return WRITE_FORMATS[path.suffix.lower()]
    except KeyError:
        supported = ", ".join(WRITE_FORMATS)
        raise ValueError(
            f"cannot write {str(path)!r}: unsupported suffix {path.suffix or '(none)'!r}; use one of {supported}"
        ) from None


def _check_writable(array: np.ndarray, file_format: str, where: str, quality: int | None) -> None:
    """Raise ValueError if ``file_format`` cannot hold ``array``, ``quality`` is
    out of range or Pillow lacks the format's codec; ``where`` names the file."""
    where = f"cannot write {where}"
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{where}: images must have an integer or float dtype; got {array.dtype}")
    if array.ndim < 2 or array.size == 0:
        raise ValueError(f"{where}: not an image: shape {array.shape}")
    if quality is not None and not (isinstance(quality, (int, np.integer)) and 1 <= quality <= 100):
        raise ValueError(f"{where}: quality must be a whole number in 1..100; got {quality!r}")
    output = FORMATS_BY_NAME[file_format]
    refusal = output.refusal(array)
    if refusal is not None:
        raise ValueError(f"{where}: {refusal}")
    if output.feature is not None:
        from PIL import features

        if not features.check(output.feature):
            raise ValueError(f"{where}: this Pillow was built without {output.name} support")


def _encode(file: BinaryIO, array: np.ndarray, file_format: str, metadata: ImageMetadata, quality: int | None) -> None:
    """Write ``array`` (checked, native byte order) to ``file`` in ``file_format``
    (the writer of TIFF, NPY and 16-bit colour PNG imported for those alone)."""
    if file_format == "TIFF":
        from .tiff import write_tiff

        write_tiff(file, array, metadata)
    elif file_format == "NPY":
        from .npy import write_npy

        write_npy(file, array)
    elif file_format == "PNG" and array.dtype == np.uint16 and array.ndim == 3:
        from .png16 import write_png16

        write_png16(file, array, metadata)
    else:
        write_pillow(file, array, file_format, metadata, quality)
