"""16-bit PNG with colour or alpha (grey+alpha, RGB, RGBA), which Pillow
reduces to 8 bits: read here (pypng for interlaced files), written with
pypng, pixels and metadata.

16-bit grey PNG and every 8-bit PNG go through Pillow (io.py).
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import BinaryIO

import numpy as np

from ._metadata import ImageMetadata

#: The first bytes of every PNG file.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: How many leading bytes hold the signature and the IHDR fields up to the colour type.
HEADER_BYTES = 26
#: PNG colour types with more than one sample per pixel, without a palette,
#: and their samples: RGB, grey+alpha, RGBA.
_PLANES = {2: 3, 4: 2, 6: 4}
#: Metres per inch (pHYs counts pixels per metre).
_METRES_PER_INCH = 0.0254


def is_png16_colour(header: bytes) -> bool:
    """Whether a file starting with ``header`` (at least HEADER_BYTES) is a
    PNG with 16-bit samples and colour or alpha."""
    return (
        header.startswith(PNG_SIGNATURE)
        and header[12:16] == b"IHDR"
        and header[24] == 16
        and header[25] in _PLANES
    )


def png_size(header: bytes) -> tuple[int, int]:
    """``(height, width)`` from a PNG's first HEADER_BYTES bytes."""
    width, height = struct.unpack(">II", header[16:24])
    return height, width


def read_png16(file: BinaryIO) -> np.ndarray:
    """The pixels of a 16-bit colour PNG: ``(H, W, 2|3|4)`` uint16.

    Non-interlaced files without a transparency colour (nearly all) are
    decoded here: zlib, then the row filters undone by a compiled kernel.
    Interlaced ones, and a transparency colour (which becomes an alpha
    channel), go through pypng, whose pure-Python decoding is about 20x
    slower. Needs the file's size plus twice the image in memory.
    """
    data = file.read()
    chunks = _chunks(data)
    header = chunks[0][1]
    width, height = struct.unpack(">II", header[:8])
    colour_type, interlace = header[9], header[12]
    if interlace or any(kind == b"tRNS" for kind, _ in chunks):
        return _read_with_pypng(data)
    planes = _PLANES[colour_type]
    stride = width * planes * 2
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    if len(raw) < height * (stride + 1):
        raise ValueError(f"truncated PNG: {len(raw)} bytes of pixel data, {height * (stride + 1)} expected")
    from .backends.cpu_png import unfilter  # numba: imported on first use

    rows = np.frombuffer(raw, np.uint8, height * (stride + 1)).reshape(height, stride + 1)
    out = np.empty((height, stride), np.uint8)
    bad_row = unfilter(rows, planes * 2, out)
    if bad_row >= 0:
        raise ValueError(f"corrupt PNG: row {bad_row} has filter type {rows[bad_row, 0]}")
    return out.view(">u2").astype(np.uint16).reshape(height, width, planes)


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The chunks of a PNG file, ``(type, body)``, up to IEND (CRCs not checked)."""
    chunks = []
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + length]
        if len(body) < length:
            raise ValueError(f"truncated PNG: chunk {kind!r} ends early")
        chunks.append((kind, body))
        if kind == b"IEND":
            break
        offset += 12 + length
    if not chunks or chunks[0][0] != b"IHDR":
        raise ValueError("corrupt PNG: no IHDR chunk first")
    return chunks


def _read_with_pypng(data: bytes) -> np.ndarray:
    import png

    width, height, rows, info = png.Reader(bytes=data).asDirect()
    array = np.empty((height, width * info["planes"]), np.uint16)
    for row, values in zip(array, rows):
        row[:] = values
    return array.reshape(height, width, info["planes"])


def write_png16(file: BinaryIO, array: np.ndarray, metadata: ImageMetadata) -> None:
    """Write ``(H, W, 2|3|4)`` uint16 as a 16-bit PNG with the profile,
    resolution and EXIF of ``metadata``."""
    import png

    height, width, planes = array.shape
    options = {}
    if metadata.dpi is not None:
        options = {
            "x_pixels_per_unit": round(metadata.dpi[0] / _METRES_PER_INCH),
            "y_pixels_per_unit": round(metadata.dpi[1] / _METRES_PER_INCH),
            "unit_is_meter": True,
        }
    writer = png.Writer(width, height, greyscale=planes == 2, alpha=planes in (2, 4), bitdepth=16, **options)
    extra = []
    if metadata.icc_profile is not None:
        extra.append((b"iCCP", b"ICC profile\x00\x00" + zlib.compress(metadata.icc_profile)))
    if metadata.exif is not None:
        extra.append((b"eXIf", metadata.exif.removeprefix(b"Exif\x00\x00")))
    if not extra:
        writer.write(file, array.reshape(height, width * planes))
        return
    plain = io.BytesIO()
    writer.write(plain, array.reshape(height, width * planes))
    chunks = list(png.Reader(bytes=plain.getvalue()).chunks())
    png.write_chunks(file, chunks[:1] + extra + chunks[1:])  # after IHDR, before the pixels
