"""Writing image files: the format from the suffix, the arrays each format
holds, and the writer of that format (:mod:`.png16`, :mod:`.pillow`,
:mod:`.tiff`, :mod:`.npy`), safely (:mod:`.safe_write`)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .common import native
from .metadata import ImageMetadata
from .npy import write_npy
from .pillow import write_pillow
from .png16 import write_png16
from .safe_write import write_safely
from .tiff import write_tiff

#: Output suffixes (lower case) and the format each writes.
WRITE_FORMATS = {
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".npy": "NPY",
}


def write_image(
    path: str | os.PathLike[str],
    array: np.ndarray,
    *,
    metadata: ImageMetadata | None = None,
    overwrite: bool = False,
) -> None:
    """Write an image file, safely: the file appears complete or not at all.

    The format comes from the suffix: ``.png``, ``.tif``/``.tiff``,
    ``.jpg``/``.jpeg``, ``.npy`` (case-insensitive); see
    :func:`encode_image` for what each holds. The data go to a temporary file
    ``.histeq-*`` in the destination folder, which is then moved into place;
    on any error it is removed.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its folder must exist.
    array : ndarray
        The image, as :func:`encode_image` lists.
    metadata : ImageMetadata, optional
        The ICC profile, resolution and EXIF to write, where the format
        holds them (see :func:`encode_image`).
    overwrite : bool, default False
        Replace ``path`` if it exists. Without it an existing file is never
        replaced, even one created while this function runs.

    Raises
    ------
    ValueError
        For an unsupported suffix, or an array the format cannot hold (the
        message says which format can).
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
    _check_writable(array, file_format, repr(str(path)))

    def encode(file: BinaryIO) -> None:
        _encode(file, native(array), file_format, metadata or ImageMetadata())

    write_safely(path, encode, overwrite=overwrite)


def encode_image(array: np.ndarray, file_format: str, metadata: ImageMetadata | None = None) -> bytes:
    """An image file's bytes, in memory (for standard output, or to send on).

    ============  =============================================================
    PNG           uint8 or uint16 ``(H, W)``, ``(H, W, 2)``, ``(H, W, 3)``,
                  ``(H, W, 4)`` (16-bit colour with libpng, through
                  imagecodecs); profile, resolution and EXIF kept
    JPEG          uint8 ``(H, W)`` and ``(H, W, 3)``, quality 95; profile,
                  resolution and EXIF kept
    TIFF          any integer or float array tifffile writes: ``(H, W, 3)`` and
                  ``(H, W, 4)`` as RGB (the 4th sample as alpha), ``(H, W, 2)``
                  as grey with alpha, anything else as grey (pages), as
                  BigTIFF when over 4 GB; profile and resolution kept
    NPY           any integer or float array (``np.save``); no metadata
    ============  =============================================================

    Parameters
    ----------
    array : ndarray
        The image, as listed above.
    file_format : {"PNG", "JPEG", "TIFF", "NPY"}
        The format (:func:`format_of` gives it for a file name).
    metadata : ImageMetadata, optional
        The profile, resolution and EXIF to write.

    Returns
    -------
    bytes
        The whole file. Needs the file's size in memory beyond the array.

    Raises
    ------
    ValueError
        For an unknown format, or an array the format cannot hold.
    """
    if file_format not in WRITE_FORMATS.values():
        raise ValueError(f"cannot write format {file_format!r}; use one of {sorted(set(WRITE_FORMATS.values()))}")
    array = np.asarray(array)
    _check_writable(array, file_format, f"a {file_format} image")
    buffer = io.BytesIO()
    _encode(buffer, native(array), file_format, metadata or ImageMetadata())
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
        ``"PNG"``, ``"TIFF"``, ``"JPEG"`` or ``"NPY"``.

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


def _check_writable(array: np.ndarray, file_format: str, where: str) -> None:
    """Raise ValueError if ``file_format`` cannot hold ``array``; ``where`` names the file."""
    where = f"cannot write {where}"
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{where}: images must have an integer or float dtype; got {array.dtype}")
    if array.ndim < 2 or array.size == 0:
        raise ValueError(f"{where}: not an image: shape {array.shape}")
    if file_format in ("TIFF", "NPY"):
        return
    layout = "grey" if array.ndim == 2 else None
    if array.ndim == 3:
        layout = {2: "grey+alpha", 3: "RGB", 4: "RGBA"}.get(array.shape[2])
    if layout is None:
        raise ValueError(
            f"{where}: {file_format} holds (H, W) grey or (H, W, 2|3|4) colour images; "
            f"got shape {array.shape} (use .tif)"
        )
    if file_format == "JPEG":
        if array.dtype != np.uint8:
            raise ValueError(f"{where}: JPEG holds 8-bit images only; got {array.dtype} (use .png or .tif)")
        if layout not in ("grey", "RGB"):
            raise ValueError(f"{where}: JPEG has no alpha channel; got a {layout} image (use .png or .tif)")
        return
    if array.dtype.newbyteorder("=") not in (np.uint8, np.uint16):  # either byte order: written native
        raise ValueError(f"{where}: PNG holds uint8 or uint16 images; got {array.dtype} (use .tif)")


def _encode(file: BinaryIO, array: np.ndarray, file_format: str, metadata: ImageMetadata) -> None:
    """Write ``array`` (checked, native byte order) to ``file`` in ``file_format``."""
    if file_format == "TIFF":
        write_tiff(file, array, metadata)
    elif file_format == "NPY":
        write_npy(file, array)
    elif file_format == "PNG" and array.dtype == np.uint16 and array.ndim == 3:
        write_png16(file, array, metadata)
    else:
        write_pillow(file, array, file_format, metadata)
