"""What every format's reader shares: the first bytes that tell the formats
apart (:mod:`.read` imports a format's reader only for its files), the read
error, the files refused for what they declare (the pixel limit checked from a
file's header before its pixels are decoded, arrays that are no image, pages
that differ), and native byte order."""

from __future__ import annotations

import numpy as np

#: The most pixels (colour samples not counted) ``read_image`` accepts by
#: default: files that declare more are refused before they are decoded.
MAX_PIXELS = 2**30

#: The first bytes of NumPy ``.npy`` files.
NPY_MAGIC = b"\x93NUMPY"
#: The first bytes of classic and BigTIFF files, in both byte orders.
TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
#: The first bytes of every PNG file.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: How many leading bytes hold a PNG's signature and its IHDR fields up to the
#: colour type: the bytes :mod:`.read` tells the formats apart by.
HEADER_BYTES = 26


class ImageReadError(OSError):
    """An image file is missing, unreadable, corrupt, too large or in an unsupported format."""


class Refused(ValueError):
    """A file is refused for what it declares (too many pixels, no image, pages
    that differ), before its pixels are decoded: no other reader is tried."""


class TooLarge(Refused):
    """A file declares more pixels than allowed."""


def check_pixels(shape: tuple[int, ...], samples: int, max_pixels: int | None) -> None:
    """Refuse a file whose header declares more than ``max_pixels`` pixels.

    Parameters
    ----------
    shape : tuple of int
        The array shape the header declares (colour samples included).
    samples : int
        How many of the values in ``shape`` make one pixel (the colour samples).
    max_pixels : int or None
        The limit; None: no limit.

    Raises
    ------
    TooLarge
        When ``prod(shape) // samples`` exceeds ``max_pixels``.
    """
    pixels = int(np.prod(shape, dtype=object)) // max(samples, 1)
    if max_pixels is not None and pixels > max_pixels:
        raise TooLarge(f"declares {pixels} pixels, more than the limit of {max_pixels} (max_pixels)")


def native(array: np.ndarray) -> np.ndarray:
    """``array`` in the machine's byte order (itself when it already is)."""
    return array if array.dtype.isnative else array.astype(array.dtype.newbyteorder("="))
