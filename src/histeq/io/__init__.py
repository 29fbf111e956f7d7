"""Reading and writing image files: PNG, JPEG, TIFF, NumPy ``.npy`` and the other formats Pillow reads.

Pixels come back upright and in their own bit depth; the colour profile,
resolution and EXIF come back as :class:`ImageMetadata` and go back into the
files written. Pillow, tifffile and imagecodecs are imported inside the
functions that use them, so ``import histeq.io`` stays light.
"""

from __future__ import annotations

from .common import MAX_PIXELS, ImageReadError
from .metadata import ImageMetadata
from .pillow import JPEG_QUALITY
from .pillow_pixels import padded_rgb, rgb_view, rgbx_image
from .read import read_image, read_image_with_metadata
from .safe_write import TEMPORARY_PREFIX, WriteError, check_writable, remove_stale_temporaries, write_safely
from .write import WRITE_FORMATS, encode_image, format_of, write_image

__all__ = [
    "JPEG_QUALITY",
    "MAX_PIXELS",
    "TEMPORARY_PREFIX",
    "WRITE_FORMATS",
    "ImageMetadata",
    "ImageReadError",
    "WriteError",
    "check_writable",
    "encode_image",
    "format_of",
    "padded_rgb",
    "read_image",
    "read_image_with_metadata",
    "remove_stale_temporaries",
    "rgb_view",
    "rgbx_image",
    "write_image",
    "write_safely",
]
