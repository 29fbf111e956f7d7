"""16-bit PNG with colour or alpha (grey+alpha, RGB, RGBA), which Pillow
reduces to 8 bits: pixels decoded and encoded by libpng (imagecodecs), the
metadata chunks carried around them.

16-bit grey PNG and every 8-bit PNG go through Pillow (:mod:`.pillow`).
"""

from __future__ import annotations

import io
import struct
import threading
import zlib
from typing import BinaryIO

import numpy as np

from .common import HEADER_BYTES, PNG_SIGNATURE, Refused, check_pixels
from .metadata import ImageMetadata, pillow_metadata, pillow_orientation, upright
from .png_chunks import AFTER_IHDR, Chunk, make_chunk, png_chunks, png_header

#: PNG colour types with more than one sample per pixel, without a palette,
#: and their samples: RGB, grey+alpha, RGBA.
_SAMPLES = {2: 3, 4: 2, 6: 4}

#: The chunks Pillow reads metadata from: profile, resolution, EXIF, and the
#: text chunks that may hold EXIF ("Raw profile type exif") or an XMP orientation.
_METADATA_CHUNKS = frozenset({b"iCCP", b"pHYs", b"eXIf", b"tEXt", b"zTXt", b"iTXt"})

#: A 1x1 8-bit grey PNG's IHDR, IDAT and IEND: the stand-in around metadata chunks.
_STAND_IN_IHDR = make_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
_STAND_IN_IDAT = make_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
_IEND = make_chunk(b"IEND", b"")

#: zlib level of written files: 1, as OpenCV's; with zlib's run-length
#: strategy and the Paeth filter on every row (write_png16). On a 1920x1080 RGB
#: 16-bit photo that took OpenCV's time for a file 14% smaller (3.3 MB, not
#: 3.9), and with 8 bits of noise OpenCV's time for 2% smaller (9.4 MB). zlib's
#: default strategy: 2.9 MB for the photo in the same time, but twice the time
#: with noise; libpng choosing the filter per row: 1.5x the time, no smaller.
_LEVEL = 1

#: The most compressed pixel data (IDAT) a file may hold: this many times the
#: bytes its declared pixels take uncompressed (the filter byte of each row
#: included), plus :data:`IDAT_EXTRA`. zlib never needs more than the raw size
#: and a few bytes per 16 KiB, and libpng reads only the declared rows into
#: memory, but it inflates every IDAT byte to its end: a file of 64x64 pixels
#: whose IDAT inflates to 1 GiB (1 MB of zlib data) kept a core busy for 1.5 s
#: and is refused instead (nothing decoded). Data within the limit inflate to
#: at most about 1032 times it (zlib's best ratio).
IDAT_SLACK = 2
#: Bytes every file may hold in IDAT beyond :data:`IDAT_SLACK` times its pixels.
IDAT_EXTRA = 65536

#: Adam7's passes: first column and row, column and row steps.
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))

#: Where IHDR's interlace method lies in a PNG file.
_INTERLACE_OFFSET = 28

#: Metres per inch (pHYs counts pixels per metre).
_METRES_PER_INCH = 0.0254


#: Whether this thread is decoding a PNG here (read by _libpng_warnings).
_DECODING = threading.local()


def _libpng_warnings(record: object) -> bool:
    """A logging filter: drops the libpng warnings imagecodecs logs while
    this module decodes a PNG in the same thread (others pass): libpng then
    notes the metadata chunks it checks and discards ("iCCP: known incorrect
    sRGB profile"), which Pillow reads instead, and, on every interlaced
    file, "Interlace handling should be turned on" (imagecodecs' call order;
    the pixels are right). Errors still raise."""
    return not getattr(_DECODING, "active", False)


def is_png16_colour(header: bytes) -> bool:
    """Whether a file starting with ``header`` (its first ``HEADER_BYTES``
    bytes) is a PNG with 16-bit samples and colour or alpha."""
    fields = png_header(header)
    return fields is not None and fields.bit_depth == 16 and fields.colour_type in _SAMPLES


def read_png16(file: BinaryIO, max_pixels: int | None) -> tuple[np.ndarray, ImageMetadata]:
    """A 16-bit colour PNG's pixels, upright, and its metadata.

    The size is checked from the header before anything else is read. The
    pixels are decoded by libpng (interlaced files too; a transparent colour
    (tRNS) becomes an alpha channel of 0 and 65535). The metadata are read by
    Pillow from the file's metadata chunks alone, as for every other PNG,
    without decoding the pixels twice.

    Parameters
    ----------
    file : binary file
        Seekable, at the start of the file. Needs the file's size plus the
        image in memory.
    max_pixels : int or None
        The most pixels (height x width) the header may declare; None: no limit.

    Returns
    -------
    image : ndarray
        uint16 ``(H, W, 2)`` grey+alpha, ``(H, W, 3)`` RGB or ``(H, W, 4)``
        RGBA (RGB with a transparent colour too); the EXIF orientation
        applied (a view).
    metadata : ImageMetadata
        Format ``"PNG"``, the profile (iCCP), resolution (pHYs) and EXIF
        (eXIf) without its orientation.

    Raises
    ------
    TooLarge
        When the header declares more than ``max_pixels`` pixels (nothing else read).
    Refused
        When its compressed pixel data (IDAT) are larger than the pixels the
        header declares could need (nothing decoded): see :data:`IDAT_SLACK`.
    ValueError
        For a file that is not a 16-bit colour PNG, is truncated or corrupt;
        the message says which.
    """
    header = file.read(HEADER_BYTES)
    fields = png_header(header)
    if fields is None or fields.bit_depth != 16 or fields.colour_type not in _SAMPLES:
        raise ValueError("not a 16-bit PNG with colour or alpha")
    check_pixels((fields.height, fields.width), 1, max_pixels)
    file.seek(0)
    data = file.read()
    chunks = png_chunks(data)  # a chunk cut short: "truncated PNG", before decoding
    _check_compressed_size(data, chunks, fields.width, fields.height, _SAMPLES[fields.colour_type])
    pixels = _decode(data)
    if pixels.dtype != np.uint16 or pixels.shape[:2] != (fields.height, fields.width) or pixels.ndim != 3:
        raise ValueError(f"corrupt PNG: decoded as {pixels.dtype} {pixels.shape}")
    metadata, orientation = _metadata(data, chunks)
    return upright(pixels, orientation, -3), metadata


def write_png16(file: BinaryIO, array: np.ndarray, metadata: ImageMetadata) -> None:
    """Write a 16-bit PNG with colour or alpha, and the metadata libpng is not given.

    libpng encodes the pixels (zlib level 1, run-length strategy, Paeth
    filter); the profile (iCCP), resolution (pHYs) and EXIF (eXIf) of
    ``metadata`` go between its IHDR and its first IDAT. Extra memory: the
    compressed file (and a copy of ``array`` when it is not C-contiguous).

    Parameters
    ----------
    file : binary file
        Where the file goes.
    array : ndarray
        uint16 in native byte order, ``(H, W, 2)`` grey+alpha, ``(H, W, 3)``
        RGB or ``(H, W, 4)`` RGBA.
    metadata : ImageMetadata
        What to write besides the pixels.
    """
    import imagecodecs

    encoded = imagecodecs.png_encode(
        np.ascontiguousarray(array),
        level=_LEVEL,
        strategy=imagecodecs.PNG.STRATEGY.RLE,
        filter=imagecodecs.PNG.FILTER.PAETH,
    )
    if encoded[: len(PNG_SIGNATURE)] != PNG_SIGNATURE or encoded[12:16] != b"IHDR":
        raise RuntimeError("imagecodecs.png_encode gave no PNG signature and IHDR")
    pieces = memoryview(encoded)
    file.write(pieces[:AFTER_IHDR])
    for chunk in _metadata_chunks(metadata):
        file.write(chunk)
    file.write(pieces[AFTER_IHDR:])  # IDAT ... IEND, not copied


def _check_compressed_size(data: bytes, chunks: list[Chunk], width: int, height: int, samples: int) -> None:
    """Refuse IDAT data larger than :data:`IDAT_SLACK` times the raw pixels
    (plus :data:`IDAT_EXTRA`): a decompression bomb hidden behind a small header."""
    compressed = sum(chunk.stop - chunk.start - 12 for chunk in chunks if chunk.kind == b"IDAT")
    interlaced = len(data) > _INTERLACE_OFFSET and data[_INTERLACE_OFFSET] == 1
    raw = _raw_bytes(width, height, 2 * samples, interlaced)
    if compressed > IDAT_SLACK * raw + IDAT_EXTRA:
        raise Refused(
            f"its compressed pixel data (IDAT, {compressed} bytes) are far larger than the "
            f"{width}x{height} pixels it declares need ({raw} bytes uncompressed): "
            "a decompression bomb, or a corrupt file"
        )


def _raw_bytes(width: int, height: int, pixel_bytes: int, interlaced: bool) -> int:
    """The bytes of a PNG's filtered rows, uncompressed: a filter byte and the
    pixels of each row, of each of Adam7's passes when interlaced."""
    if not interlaced:
        return height * (1 + width * pixel_bytes)
    total = 0
    for x0, y0, dx, dy in _ADAM7:
        columns, rows = max(0, -(-(width - x0) // dx)), max(0, -(-(height - y0) // dy))
        if columns and rows:
            total += rows * (1 + columns * pixel_bytes)
    return total


def _decode(data: bytes) -> np.ndarray:
    """libpng's decoding of a whole PNG file (it checks the CRCs of the chunks it reads)."""
    import logging

    import imagecodecs

    logging.getLogger("imagecodecs").addFilter(_libpng_warnings)  # added once: a second add does nothing
    _DECODING.active = True
    try:
        return imagecodecs.png_decode(data)
    except imagecodecs.PngError as exc:
        raise ValueError(f"corrupt or truncated PNG (libpng: {exc})") from exc
    finally:
        _DECODING.active = False


def _metadata(data: bytes, chunks: list[Chunk]) -> tuple[ImageMetadata, int]:
    """The metadata and the orientation (1..8) of a PNG file.

    Pillow reads them from a 1x1 stand-in PNG made of the file's metadata
    chunks alone, as they are (with their CRCs, before and after the pixel
    data as in the file): the same reading as every PNG Pillow opens, EXIF
    and XMP orientation included, in no time.
    """
    first_pixels = next((i for i, chunk in enumerate(chunks) if chunk.kind == b"IDAT"), len(chunks))
    kept = [(i < first_pixels, data[c.start : c.stop]) for i, c in enumerate(chunks) if c.kind in _METADATA_CHUNKS]
    if not kept:
        return ImageMetadata(format="PNG"), 1
    from PIL import Image

    before = b"".join(raw for early, raw in kept if early)
    after = b"".join(raw for early, raw in kept if not early)
    stand_in = PNG_SIGNATURE + _STAND_IN_IHDR + before + _STAND_IN_IDAT + after + _IEND
    with Image.open(io.BytesIO(stand_in)) as image:
        return pillow_metadata(image), pillow_orientation(image)


def _metadata_chunks(metadata: ImageMetadata) -> list[bytes]:
    """The iCCP, pHYs and eXIf chunks of ``metadata``'s profile, resolution and EXIF."""
    chunks = []
    if metadata.icc_profile is not None:
        chunks.append(make_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(metadata.icc_profile)))
    if metadata.dpi is not None:
        per_metre = (round(dots / _METRES_PER_INCH) for dots in metadata.dpi)
        chunks.append(make_chunk(b"pHYs", struct.pack(">IIB", *per_metre, 1)))
    if metadata.exif is not None:
        chunks.append(make_chunk(b"eXIf", metadata.exif.removeprefix(b"Exif\x00\x00")))
    return chunks
