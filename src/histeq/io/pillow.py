"""Every format Pillow reads (PNG up to 8 bits and 16-bit grey, JPEG, BMP,
GIF, PGM, WebP, ...), and the files Pillow writes (PNG, JPEG, WebP, AVIF,
JPEG 2000, BMP, ...: :mod:`.formats`); 8-bit RGB without copies
(:mod:`.pillow_pixels`)."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from .common import Refused, check_pixels, native
from .formats import DEFAULT_QUALITY
from .metadata import ImageMetadata, pillow_metadata, pillow_orientation
from .pillow_pixels import rgb_view, rgbx_image

if TYPE_CHECKING:
    from PIL import Image

#: Quality of written JPEG files when neither a quality nor a JPEG input's tables are given.
JPEG_QUALITY = DEFAULT_QUALITY["JPEG"]

#: Held while Pillow's own pixel limit is switched off for one ``Image.open``.
_PILLOW_LIMIT_LOCK = threading.Lock()

#: Formats whose Pillow mode "I" holds 16-bit grey samples (older Pillow opens
#: 16-bit PNG, and current Pillow 16-bit PGM, as "I").
_SIXTEEN_BIT_I_FORMATS = ("PNG", "PPM")

#: Pillow modes returned as they are (after the 16-bit and "I" handling).
_KEPT_MODES = ("L", "LA", "RGB", "RGBA", "I", "F")

#: Bytes copied at a time from an encoded file to its destination.
_COPY_BYTES = 1 << 20

#: The most bytes of a file handed to Pillow's decoder at once. Pillow's
#: default (64 KiB) makes a decoder take the GIL back after every block,
#: which on a busy process (another thread importing numba) waits a switch
#: interval each time: a 1080p JPEG decoded in 37 ms instead of 18 ms.
_DECODE_BYTES = 1 << 26


def read_pillow(
    file: BinaryIO, max_pixels: int | None, *, all_frames: bool = False
) -> tuple[np.ndarray, ImageMetadata]:
    """An image file Pillow reads: its pixels, upright, and its metadata.

    Parameters
    ----------
    file : binary file
        Seekable, at the start of the file.
    max_pixels : int or None
        The most pixels the file may declare (checked before decoding; it
        replaces Pillow's ``Image.MAX_IMAGE_PIXELS``); None: no limit.
    all_frames : bool, default False
        Refuse files of more than one frame instead of reading the first
        (TIFF pages, which must not be dropped).

    Returns
    -------
    image : ndarray
        Read-only, wrapping Pillow's decoded bytes: ``(H, W)`` uint8 (grey and
        1-bit), uint16 (16-bit grey), int32 or float32; ``(H, W, 2)`` grey
        with alpha; ``(H, W, 3)`` RGB (8-bit: a view of Pillow's 4-byte
        pixels where Pillow exports them); ``(H, W, 4)`` RGBA. Palette images
        become RGB, or RGBA with transparency; CMYK, YCbCr, ... become RGB.
        The first frame of multi-frame files.
    metadata : ImageMetadata
        Pillow's format name, the profile, resolution and EXIF (without orientation).

    Raises
    ------
    TooLarge
        When the file declares more than ``max_pixels`` pixels.
    Refused
        With ``all_frames``, for a file of more than one frame.
    Exception
        Whatever Pillow raises for files it cannot read.

    Notes
    -----
    Besides the decoded pixels, decoding holds up to 64 MiB of the file in
    memory at once: Pillow's decoder is handed that much in one call (a JPEG
    of that size or less: all of it).
    """
    from PIL import ImageFile

    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    with open_pillow(file) as image:
        check_pixels((image.height, image.width), 1, max_pixels)
        frames = getattr(image, "n_frames", 1)
        if all_frames and frames > 1:
            raise Refused(f"it has {frames} pages, of which only the first could be read (with Pillow)")
        if isinstance(image, ImageFile.ImageFile):  # as Image.open returns: the file decoded in one call
            image.decodermaxblock = max(image.decodermaxblock, min(size, _DECODE_BYTES))
        image.load()
        metadata = pillow_metadata(image)
        file_format, mode = image.format, image.mode
        if pillow_orientation(image) != 1:
            from PIL import ImageOps

            ImageOps.exif_transpose(image, in_place=True)
        if not (mode in _KEPT_MODES or mode.startswith("I;16")):
            image = image.convert(_conversion_mode(image))
        view = rgb_view(image)  # Pillow's own memory, for RGB
        array = native(np.asarray(image)) if view is None else view  # read-only: Pillow's pixel bytes
    if mode == "I" and file_format in _SIXTEEN_BIT_I_FORMATS:
        return array.astype(np.uint16), metadata
    return array, metadata


def write_pillow(
    file: BinaryIO, array: np.ndarray, file_format: str, metadata: ImageMetadata, quality: int | None = None
) -> None:
    """Write a file with Pillow, with the profile, resolution and EXIF of
    ``metadata`` where the format holds them.

    Parameters
    ----------
    file : binary file
        Where the file goes.
    array : ndarray
        An array the format holds (:mod:`.formats`, checked by the caller);
        JPEG's uint8 ``(H, W, 3)`` is read in place when laid out as
        :func:`.pillow_pixels.padded_rgb` makes.
    file_format : str
        Pillow's name of the format.
    metadata : ImageMetadata
        What to write besides the pixels.
    quality : int, optional
        JPEG, WebP and AVIF: 1..100. JPEG without it keeps the
        quantization tables and subsampling of ``metadata`` when it has them
        (Pillow's ``quality="keep"``), else quality :data:`JPEG_QUALITY`;
        WebP and AVIF without it: :data:`~.formats.DEFAULT_QUALITY`.
    """
    from PIL import Image

    options = _quality_options(file_format, metadata, quality)
    if metadata.icc_profile is not None:
        options["icc_profile"] = metadata.icc_profile
    if metadata.dpi is not None:
        options["dpi"] = metadata.dpi
    if metadata.exif is not None:
        options["exif"] = metadata.exif
    image = rgbx_image(array) if file_format == "JPEG" else None  # saved as RGB, without a copy
    if image is None:
        image = Image.fromarray(np.ascontiguousarray(array))
    _save(image, file, file_format, options)


def _save(image: Image.Image, file: BinaryIO, file_format: str, options: dict[str, Any]) -> None:
    """``image.save(file)``, whole or raising.

    Given a file with a descriptor, Pillow's encoders write to the descriptor
    with the GIL released (files on several threads encode side by side) but
    ignore a short write (a full disk, a file size limit: a truncated file,
    reported as written); given a file without one, they hand their bytes to
    ``file.write``, which raises, and hold the GIL for all their work (the
    threads of a folder run took turns: 5 ms a 1080p JPEG). So the file is
    encoded into memory with a descriptor (Linux's ``memfd_create``; the
    encoded bytes stay in memory until copied), where nothing but memory
    limits its writes, and copied to ``file`` by ``file.write``. Where there
    is no such file, or a file size limit (``ulimit -f``) would cut its
    writes short too, Pillow writes to ``file`` without its descriptor.
    """
    encoded = _memory_file()
    if encoded is None:
        image.save(_WithoutDescriptor(file), format=file_format, **options)
        return
    with encoded:
        image.save(encoded, format=file_format, **options)
        encoded.seek(0)
        while chunk := encoded.read(_COPY_BYTES):
            file.write(chunk)


def _quality_options(file_format: str, metadata: ImageMetadata, quality: int | None) -> dict[str, Any]:
    """Pillow's save options for the quality of a lossy format (none for the others)."""
    if file_format not in DEFAULT_QUALITY:
        return {}
    if quality is None and file_format == "JPEG" and metadata.quantization is not None:
        kept: dict[str, Any] = {"qtables": [list(table) for table in metadata.quantization]}
        if metadata.subsampling is not None:
            kept["subsampling"] = metadata.subsampling
        return kept
    return {"quality": int(quality if quality is not None else DEFAULT_QUALITY[file_format])}


def _memory_file() -> BinaryIO | None:
    """A new read-write file in memory with a descriptor, or None where
    there is none, or where a file size limit applies to its writes."""
    try:
        import resource

        if resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY:
            return None
        return open(os.memfd_create("histeq-encoded"), "w+b")
    except (ImportError, AttributeError, OSError):  # not Linux, or not allowed
        return None


class _WithoutDescriptor:
    """``file`` without its descriptor. Given one, Pillow's encoders write to
    it themselves and ignore a short write (a full disk, a file size limit:
    a truncated JPEG, reported as written); without one they hand their bytes
    to ``file.write``, which raises."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file

    def write(self, data: Any) -> int:
        return self._file.write(data)

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


@contextmanager
def open_pillow(file: BinaryIO) -> Iterator[Image.Image]:
    """``PIL.Image.open(file)``, closed on exit, with Pillow's own pixel limit
    off while it opens: histeq's ``max_pixels`` replaces it."""
    from PIL import Image

    with _PILLOW_LIMIT_LOCK:
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            image = Image.open(file)
        finally:
            Image.MAX_IMAGE_PIXELS = limit
    with image:
        yield image


def reason(exc: Exception) -> str:
    """What went wrong, in words, for an error raised while reading a file."""
    from PIL import UnidentifiedImageError

    if isinstance(exc, UnidentifiedImageError):
        return "not an image file, or a format Pillow cannot read"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _conversion_mode(image: Image.Image) -> str:
    """The mode an image in an unusual mode is converted to."""
    if image.mode == "1":
        return "L"
    if image.mode == "La":
        return "LA"
    has_alpha = image.mode in ("PA", "RGBa") or "transparency" in image.info
    return "RGBA" if has_alpha else "RGB"
