"""Reading image files: the format from the first bytes, then the reader of
that format (:mod:`.npy`, :mod:`.tiff`, :mod:`.png16`, :mod:`.pillow`), each
imported for its files only (a JPEG's read loads Pillow's reader alone)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import numpy as np

from .common import HEADER_BYTES, MAX_PIXELS, NPY_MAGIC, PNG_SIGNATURE, TIFF_MAGIC, ImageReadError, Refused
from .metadata import ImageMetadata
from .pillow import read_pillow, reason

#: A binary stream or a file's path: what ``read_image`` reads.
Source = str | os.PathLike[str] | BinaryIO


def read_image(source: Source, *, max_pixels: int | None = MAX_PIXELS) -> np.ndarray:
    """Read an image file into a writable numpy array.

    The pixels of ``read_image_with_metadata(source, max_pixels=max_pixels)``,
    copied if that array is read-only; see :func:`read_image_with_metadata`
    for what is read and how.

    Parameters
    ----------
    source : str, os.PathLike or binary file
        The file to read, or a binary stream.
    max_pixels : int or None, default MAX_PIXELS (2**30)
        The most pixels a file may declare; None: no limit.

    Returns
    -------
    ndarray
        Writable; shapes and dtypes as :func:`read_image_with_metadata` lists.

    Raises
    ------
    ImageReadError
        As :func:`read_image_with_metadata`.
    """
    image = read_image_with_metadata(source, max_pixels=max_pixels)[0]
    return image if image.flags.writeable else image.copy()


def read_image_with_metadata(
    source: Source, *, max_pixels: int | None = MAX_PIXELS
) -> tuple[np.ndarray, ImageMetadata]:
    """Read an image file: its pixels, upright, and the metadata histeq keeps.

    The format comes from the first bytes, whatever the name. TIFF files are
    read with tifffile, falling back to Pillow for compressions tifffile
    cannot decode without extra packages (such as LZW). PNG files with 16-bit
    colour or alpha are decoded by libpng through imagecodecs (Pillow would
    reduce them to 8 bits). NumPy ``.npy`` files are loaded without pickles.
    Every other format is read with Pillow.

    The orientation a file declares (EXIF in JPEG/PNG, the Orientation tag in
    TIFF) is applied, so the pixels are upright; the metadata returned has no
    orientation, and files written with it need none.

    A file that declares more than ``max_pixels`` pixels is refused from its
    header, before its pixels are decoded (a "decompression bomb"). This limit
    replaces Pillow's own ``Image.MAX_IMAGE_PIXELS`` while the file is opened.

    Parameters
    ----------
    source : str, os.PathLike or binary file
        The file to read, or a binary stream (read to its end; ``-`` on the
        command line reads standard input this way).
    max_pixels : int or None, default MAX_PIXELS (2**30)
        The most pixels (height x width x pages; colour samples not counted)
        a file may declare; None: no limit.

    Returns
    -------
    image : ndarray
        - grey 8-bit (and 1-bit): ``(H, W)`` uint8;
        - grey 16-bit (PNG, PGM, TIFF): ``(H, W)`` uint16;
        - grey with alpha: ``(H, W, 2)``; RGB: ``(H, W, 3)``; RGBA:
          ``(H, W, 4)``, uint8, or uint16 from 16-bit PNG and TIFF. Palette
          images become RGB, or RGBA when they have transparency, as do
          16-bit RGB PNG with a transparent colour (alpha 0 or 65535); CMYK,
          YCbCr, ... become RGB;
        - 32-bit integer and float files: int32 / float32 ``(H, W)``;
        - TIFF: the first series as tifffile reads it (any dtype; a stack of
          pages is ``(pages, H, W)``), with colour samples on the last axis;
        - ``.npy``: the array as saved (integer or float dtypes only).

        Multi-frame files other than TIFF give their first frame. Images
        Pillow decodes come back read-only: the array wraps Pillow's decoded
        bytes instead of copying them (8-bit RGB: a ``(H, W, 3)`` view of
        Pillow's 4-byte pixels, strides ``(4 W, 4, 1)``, where Pillow
        exports them); ``np.array(image)`` (or :func:`read_image`) gives a
        writable copy.
    metadata : ImageMetadata
        The format, and the ICC profile, resolution and EXIF (PNG, JPEG) the
        file carries.

    Raises
    ------
    ImageReadError
        When the file is missing, unreadable, corrupt, declares more than
        ``max_pixels`` pixels or is in a format no reader here reads. The
        message names the file and the reason.
    """
    name = _source_name(source)
    try:
        with _open_source(source) as file:
            header = file.read(HEADER_BYTES)
            file.seek(0)
            return _read(file, header, name, max_pixels)
    except ImageReadError:
        raise
    except OSError as exc:
        raise ImageReadError(f"cannot read image {name}: {exc.strerror or exc}") from exc


def _source_name(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return repr(str(source))
    return "from " + str(getattr(source, "name", "a stream"))


@contextmanager
def _open_source(source: Source) -> Iterator[BinaryIO]:
    """A seekable binary file of ``source``: the file opened, or the stream's
    bytes in memory when it cannot seek (a pipe)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as file:
            yield file
    elif source.seekable():
        yield source
    else:
        yield io.BytesIO(source.read())


def _read(file: BinaryIO, header: bytes, name: str, max_pixels: int | None) -> tuple[np.ndarray, ImageMetadata]:
    """Read the image in ``file`` (which starts with ``header``), as the format ``header`` shows."""
    if header.startswith(NPY_MAGIC):
        from .npy import read_npy

        try:
            return read_npy(file, max_pixels), ImageMetadata(format="NPY")
        except Exception as exc:  # a bad header, a truncated file, pickled objects, ...
            raise ImageReadError(f"cannot read NumPy image {name}: {exc}") from exc
    if header[:4] in TIFF_MAGIC:
        from .tiff import read_tiff

        try:
            return read_tiff(file, max_pixels)
        except Refused as exc:  # too large, pages that differ: no other reader
            raise ImageReadError(f"cannot read TIFF image {name}: {exc}") from exc
        except Exception as exc:  # any other failure (a codec tifffile lacks, ...): try Pillow
            try:
                file.seek(0)
                return read_pillow(file, max_pixels, all_frames=True)
            except Refused as refused:
                raise ImageReadError(f"cannot read TIFF image {name}: {refused}") from exc
            except Exception:  # report tifffile's reason, the more specific one
                raise ImageReadError(f"cannot read TIFF image {name}: {exc}") from exc
    try:
        if header.startswith(PNG_SIGNATURE):  # only then is png16 (which reads the header itself) imported
            from .png16 import is_png16_colour, read_png16

            if is_png16_colour(header):
                return read_png16(file, max_pixels)
        return read_pillow(file, max_pixels)
    except Exception as exc:  # Pillow and libpng raise many kinds of exception for bad files
        raise ImageReadError(f"cannot read image {name}: {reason(exc)}") from exc
