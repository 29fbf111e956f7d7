"""The CPU backend: numba kernels, the only code in histeq that touches every pixel.

Split by job: :mod:`.count` (histograms), :mod:`.apply` (mapping through
LUTs; :mod:`.vbmi` maps bytes 64 at a time on CPUs with AVX-512 VBMI),
:mod:`.rgb` (interleaved 8-bit RGB), :mod:`.plans` (the plans that run on every
call of a common path), :mod:`.ranges` (masked value ranges), and CLAHE's
:mod:`.tiles` (tile histograms and LUTs), :mod:`.tile_blend` and
:mod:`.skimage_tiles` (scikit-image's variant), and the colour conversions
of luminance processing, :mod:`.colour` (YCrCb), :mod:`.colour_hsv` and
:mod:`.colour_lab`, and :mod:`.colour_lut` (a LUT on the luminance of 8-bit
YCrCb and Lab in two fused passes; AVX-512 steps in :mod:`.colour_simd`).
:mod:`.bins` holds the per-value bin arithmetic they
share.

Library code reaches these through :func:`histeq.backends.kernels`. The
CLAHE and colour modules are imported on first use (``kernels().tiles``,
``kernels().colour``).
"""

from __future__ import annotations

from . import _numba_boot  # noqa: F401  (first: numba is imported without scipy)

# isort: split

import importlib
from types import ModuleType

from .apply import apply_bytes, apply_direct, apply_equal, apply_interp, apply_levels, apply_rgb, apply_sorted
from .count import count_bytes, count_equal, count_levels, count_words
from .items import apply_item_levels, apply_item_rgb, count_item_levels, count_item_rgb, opencv_byte_rows
from .plans import interp_cdf, opencv_byte_offsets
from .ranges import masked_float_range, masked_integer_range
from .rgb import count_rgb

__all__ = [
    "apply_bytes",
    "apply_direct",
    "apply_equal",
    "apply_interp",
    "apply_item_levels",
    "apply_item_rgb",
    "apply_levels",
    "apply_rgb",
    "apply_sorted",
    "count_bytes",
    "count_equal",
    "count_item_levels",
    "count_item_rgb",
    "count_levels",
    "count_rgb",
    "count_words",
    "interp_cdf",
    "masked_float_range",
    "masked_integer_range",
    "opencv_byte_offsets",
    "opencv_byte_rows",
]

_LAZY_MODULES = (
    *("tiles", "tile_blend", "skimage_tiles", "colour", "colour_hsv", "colour_lab", "colour_lut"),
    *("ffmpeg_frames", "local_hist", "magick_clahe"),  # ffmpeg's histeq, libvips' hist_local, ImageMagick's CLAHE
    "plane_lut",  # a uint8 plane counted, planned and mapped in one call (video)
)


def __getattr__(name: str) -> ModuleType:
    # CLAHE's and the colour conversions' kernel modules, imported when first asked for.
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
