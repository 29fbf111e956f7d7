"""Pillow's RGB pixels without a copy, both ways.

Pillow keeps an RGB image in 4 bytes a pixel (RGBX). ``np.asarray(image)``
packs them into a new 3-byte array and ``Image.fromarray`` unpacks them
again: two passes over the image and two fresh allocations per file, a
quarter of what the command line spent beside decoding and encoding a
1080p JPEG. Here instead:

- :func:`rgb_view` reads an RGB image's own memory through the Arrow C data
  interface Pillow exports (Pillow >= 11.2, images in one memory block), as an
  ``(H, W, 3)`` view of its ``(H, W, 4)`` pixels;
- :func:`padded_rgb` makes an ``(H, W, 3)`` array laid out the same way, and
  :func:`rgbx_image` hands one to Pillow as an RGBX image sharing its memory,
  which Pillow's JPEG writer stores as RGB.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

#: Bytes of a pixel in Pillow's RGB (and RGBX) images.
PIXEL_BYTES = 4


class _ArrowArray(ctypes.Structure):
    """``struct ArrowArray`` of the Arrow C data interface (a stable ABI)."""


_ArrowArray._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(_ArrowArray))),
    ("dictionary", ctypes.c_void_p),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
]

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


class _Exported:
    """Pixel memory Pillow exported, as numpy's array interface; it keeps the
    export's capsule alive, whose destructor releases the memory to Pillow."""

    def __init__(self, capsule: object, address: int, shape: tuple[int, ...]) -> None:
        self.capsule = capsule
        self.__array_interface__ = {"data": (address, True), "shape": shape, "typestr": "|u1", "version": 3}


def rgb_view(image: Image.Image) -> np.ndarray | None:
    """The pixels of a loaded RGB Pillow image without a copy, or None.

    Parameters
    ----------
    image : PIL.Image.Image
        A loaded image in mode ``"RGB"``.

    Returns
    -------
    ndarray or None
        Read-only uint8 ``(H, W, 3)``, a view of Pillow's ``(H, W, 4)`` pixel
        memory (valid after the image is closed), equal to
        ``np.asarray(image)``. None where Pillow exports no Arrow array
        (before Pillow 11.2, or an image over Pillow's 16 MB memory blocks).
    """
    export = getattr(image, "__arrow_c_array__", None)
    if image.mode != "RGB" or export is None:
        return None
    try:
        _, capsule = export()
    except ValueError:  # rows in more than one block
        return None
    exported = ctypes.cast(_capsule_pointer(capsule, b"arrow_array"), ctypes.POINTER(_ArrowArray)).contents
    width, height = image.size
    if exported.n_children != 1 or exported.offset or exported.length != width * height:
        return None
    values = exported.children[0].contents  # the uint8 bytes of the 4-byte lists
    if values.n_buffers != 2 or values.offset or values.length != PIXEL_BYTES * width * height:
        return None
    pixels = np.asarray(_Exported(capsule, values.buffers[1], (height, width, PIXEL_BYTES)))
    return pixels[..., :3]


def padded_rgb(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialized uint8 ``shape`` array (``(H, W, 3)``) laid out as
    Pillow's RGB pixels: a view of a C-contiguous ``(H, W, 4)`` array."""
    return np.empty((*shape[:-1], PIXEL_BYTES), np.uint8)[..., :3]


def rgbx_image(pixels: np.ndarray) -> Image.Image | None:
    """An RGBX Pillow image sharing the memory of ``pixels``, or None.

    Parameters
    ----------
    pixels : ndarray
        uint8 ``(H, W, 3)``.

    Returns
    -------
    PIL.Image.Image or None
        Mode ``"RGBX"`` (the 4th bytes undefined), for an array laid out as
        :func:`padded_rgb` makes; None for any other array.
    """
    from PIL import Image

    padded = pixels.base
    if not (
        pixels.dtype == np.uint8
        and pixels.ndim == 3
        and pixels.shape[2] == 3
        and isinstance(padded, np.ndarray)
        and padded.shape == (*pixels.shape[:2], PIXEL_BYTES)
        and padded.dtype == np.uint8
        and padded.flags.c_contiguous
        and padded.ctypes.data == pixels.ctypes.data
        and pixels.strides == padded.strides
    ):
        return None
    height, width = pixels.shape[:2]
    return Image.frombuffer("RGBX", (width, height), padded, "raw", "RGBX", 0, 1)
