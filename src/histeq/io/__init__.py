"""Reading and writing image files: PNG, JPEG, TIFF, NumPy ``.npy``, WebP, AVIF, BMP, ... (what Pillow reads).

Pixels come back upright and in their own bit depth; the colour profile,
resolution and EXIF come back as :class:`ImageMetadata` and go back into the
files written. Pillow, tifffile and imagecodecs are imported inside the
functions that use them, so ``import histeq.io`` stays light.
"""

from __future__ import annotations

from .common import MAX_PIXELS, ImageReadError
from .formats import DEFAULT_QUALITY, FORMATS_BY_NAME, OUTPUT_FORMATS, WRITE_FORMATS, OutputFormat, read_suffixes
from .metadata import ImageMetadata
from .pillow import JPEG_QUALITY
from .pillow_pixels import padded_rgb, rgb_view, rgbx_image
from .read import read_image, read_image_with_metadata
from .safe_write import TEMPORARY_PREFIX, WriteError, check_writable, remove_stale_temporaries, write_safely
from .write import encode_image, format_of, write_image

__all__ = [
    "DEFAULT_QUALITY",
    "FORMATS_BY_NAME",
    "JPEG_QUALITY",
    "MAX_PIXELS",
    "OUTPUT_FORMATS",
    "TEMPORARY_PREFIX",
    "WRITE_FORMATS",
    "ImageMetadata",
    "ImageReadError",
    "OutputFormat",
    "WriteError",
    "check_writable",
    "encode_image",
    "format_of",
    "padded_rgb",
    "read_image",
    "read_image_with_metadata",
    "read_suffixes",
    "remove_stale_temporaries",
    "rgb_view",
    "rgbx_image",
    "write_image",
    "write_safely",
]
