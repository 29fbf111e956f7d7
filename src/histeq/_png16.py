"""16-bit PNG with colour or alpha (grey+alpha, RGB, RGBA), which Pillow
reduces to 8 bits: read (pypng for interlaced files) and written here,
pixels and metadata.

16-bit grey PNG and every 8-bit PNG go through Pillow (io.py).
"""

from __future__ import annotations

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
#: zlib's compression level, its window, and the header of such a stream.
#: Level 1, OpenCV's default too: on filtered 1080p RGB photos it took a sixth
#: of the time of zlib's default 6 for files 20% larger (still 25% smaller than
#: OpenCV's, which filters less well).
_LEVEL, _WINDOW, _ZLIB_HEADER = 1, 32768, b"\x78\x01"
#: Metres per inch (pHYs counts pixels per metre).
_METRES_PER_INCH = 0.0254


def is_png16_colour(header: bytes) -> bool:
    """Whether a file starting with ``header`` (at least HEADER_BYTES) is a
    PNG with 16-bit samples and colour or alpha."""
    return header.startswith(PNG_SIGNATURE) and header[12:16] == b"IHDR" and header[24] == 16 and header[25] in _PLANES


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
    resolution and EXIF of ``metadata``.

    Each row gets the filter libpng would choose (compiled kernel), and the
    rows are deflated in pieces on all threads (zlib releases the GIL), each
    piece primed with the 32 KB before it, so that together they are one zlib
    stream, as PNG requires (what pigz does). Extra memory: the filtered image
    (its size in bytes) and the compressed file.
    """
    from .backends._threads import run_chunks
    from .backends.cpu_png import filter_rows  # numba: imported on first use

    height, width, planes = array.shape
    pixels = np.ascontiguousarray(array).reshape(height, width * planes)
    rows = np.empty((height, 1 + 2 * width * planes), np.uint8)
    run_chunks(filter_rows, height, pixels, 2 * planes, rows, grain=rows.shape[1])
    pieces = run_chunks(_deflate_rows, height, rows, grain=rows.shape[1])
    pieces[0] = _ZLIB_HEADER + pieces[0]  # each piece an IDAT chunk
    pieces[-1] += zlib.adler32(rows).to_bytes(4, "big")
    colour_type = {2: 4, 3: 2, 4: 6}[planes]
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0))]
    if metadata.icc_profile is not None:
        chunks.append((b"iCCP", b"ICC profile\x00\x00" + zlib.compress(metadata.icc_profile)))
    if metadata.dpi is not None:
        per_metre = (round(dots / _METRES_PER_INCH) for dots in metadata.dpi)
        chunks.append((b"pHYs", struct.pack(">IIB", *per_metre, 1)))
    if metadata.exif is not None:
        chunks.append((b"eXIf", metadata.exif.removeprefix(b"Exif\x00\x00")))
    chunks += [(b"IDAT", piece) for piece in pieces] + [(b"IEND", b"")]
    file.write(PNG_SIGNATURE)
    for kind, body in chunks:  # written piece by piece: no copies of the pixel data
        file.write(struct.pack(">I", len(body)) + kind)
        file.write(body)
        file.write(struct.pack(">I", zlib.crc32(body, zlib.crc32(kind))))


def _deflate_rows(rows: np.ndarray, start: int, stop: int) -> bytes:
    """Rows ``start .. stop`` of the filtered image as one piece of a raw deflate
    stream: primed with the 32 KB before them, ending on a byte boundary (the
    last piece: the stream's end)."""
    flat = rows.reshape(-1)
    begin, end = start * rows.shape[1], stop * rows.shape[1]
    primer = {"zdict": flat[max(begin - _WINDOW, 0) : begin].tobytes()} if begin else {}
    deflate = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15, **primer)
    last = stop == rows.shape[0]
    return deflate.compress(flat[begin:end]) + deflate.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)
