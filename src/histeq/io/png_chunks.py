"""PNG's chunk structure, and nothing of its pixels: the header (IHDR), a
walk over a file's chunks, and chunks made with their CRCs."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from .common import HEADER_BYTES, PNG_SIGNATURE

#: Where the first chunk after IHDR starts (signature, then IHDR's 13 bytes framed by 12).
AFTER_IHDR = len(PNG_SIGNATURE) + 12 + 13


@dataclass(frozen=True)
class PngHeader:
    """The fields of a PNG's IHDR chunk that say what its pixels are.

    Attributes
    ----------
    width, height : int
        The image size in pixels.
    bit_depth : int
        Bits per sample: 1, 2, 4, 8 or 16.
    colour_type : int
        0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA.
    """

    width: int
    height: int
    bit_depth: int
    colour_type: int


@dataclass(frozen=True)
class Chunk:
    """One chunk of a PNG file: its type, and where it lies in the file.

    Attributes
    ----------
    kind : bytes
        The 4-letter chunk type, such as ``b"IDAT"``.
    start, stop : int
        The chunk's bytes, from its length field to its CRC included:
        ``data[start:stop]``.
    """

    kind: bytes
    start: int
    stop: int


def png_header(header: bytes) -> PngHeader | None:
    """The IHDR fields of a PNG file, from its first :data:`HEADER_BYTES`
    bytes; None when they are not a PNG signature followed by IHDR."""
    if len(header) < HEADER_BYTES or not header.startswith(PNG_SIGNATURE) or header[12:16] != b"IHDR":
        return None
    width, height, bit_depth, colour_type = struct.unpack(">IIBB", header[16:HEADER_BYTES])
    return PngHeader(width, height, bit_depth, colour_type)


def png_chunks(data: bytes) -> list[Chunk]:
    """The chunks of a whole PNG file, in order, up to IEND or the end of ``data``.

    CRCs are not checked here: the decoder checks those of the chunks it
    reads.

    Parameters
    ----------
    data : bytes
        The file, from its signature on.

    Returns
    -------
    list of Chunk
        IHDR first.

    Raises
    ------
    ValueError
        When a chunk is cut short ("truncated PNG") or IHDR is not the first chunk.
    """
    chunks = []
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, offset)
        stop = offset + 12 + length
        if stop > len(data):
            raise ValueError(f"truncated PNG: its {kind.decode('latin-1')!r} chunk ends early")
        chunks.append(Chunk(kind, offset, stop))
        if kind == b"IEND":
            break
        offset = stop
    if not chunks or chunks[0].kind != b"IHDR":
        raise ValueError("corrupt PNG: no IHDR chunk first")
    return chunks


def make_chunk(kind: bytes, body: bytes) -> bytes:
    """A whole chunk: length, ``kind``, ``body`` and the CRC of ``kind`` and ``body``."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))
