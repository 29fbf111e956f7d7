"""The command line's CLAHE of images deeper than 8 bits: binned over the image's own range.

OpenCV's CLAHE gives a 16-bit image one bin per level, 65536 bins, and its
clip limit is a multiple of the mean height of those bins. An image that
spans a few thousand levels fills a few percent of them, every one far above
the limit, so the typical clip limit 2 clips almost everything and the result
hardly changes: scikit-image's ``camera`` rescaled to 1000..11200 comes out
as 1014..15012, still dark (21 % of the output range; 8-bit CLAHE uses all of
it). scikit-image instead spans its 256 bins over the image's min..max
(``equalize_adapthist`` rescales the image's range first), and histeq's own
CLAHE does so for float images. ``histeq clahe`` and ``histeq compare``
therefore run CLAHE on images deeper than 8 bits as on float images: the
values as fractions of the dtype's range, ``--nbins`` equal bins (default
:data:`DEEP_BINS`) over their min..max, the clip limit relative to those bins,
the result written over the dtype's whole range. ``--dtype-bins`` gives
OpenCV's 65536 bins instead (bit for bit ``cv2.createCLAHE`` on 16-bit grey
images).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import histeq
from histeq._core.levels import levels_from_offsets, span

#: Bins of the command line's CLAHE of images deeper than 8 bits: 256, the
#: bins of an 8-bit image, of scikit-image's and of MATLAB's ``adapthisteq``.
DEEP_BINS = 256
#: Values per block of the way back from CLAHE's float result to integer levels.
_BLOCK = 1 << 18


def is_deep(dtype: np.dtype) -> bool:
    """Whether the command line bins an image of ``dtype`` over its range
    (:func:`deep_clahe`): integers of more than 8 bits."""
    return dtype.kind in "iu" and dtype.itemsize > 1


def deep_clahe(image: np.ndarray, *, nbins: int | None = None, **options: Any) -> np.ndarray:
    """CLAHE (method ``"opencv"``) of an integer image deeper than 8 bits,
    binned over its own range.

    Parameters
    ----------
    image : ndarray
        Integers of more than 8 bits (:func:`is_deep`), 1-D to 3-D, with a
        colour axis if ``options`` name one (no alpha: the command takes it
        off).
    nbins : int, optional
        Equal bins over the image's (or, in a colour space, its luminance's)
        min..max; default :data:`DEEP_BINS`.
    **options
        The other arguments of :func:`histeq.clahe` (``clip_limit``,
        ``tile_grid``, ``distribution``, ``alpha``, ``channel_axis``,
        ``color``).

    Returns
    -------
    ndarray
        ``image``'s shape and dtype: ``min + round(result * (max - min))`` of
        the float result in [0, 1], over the dtype's whole range.
        Needs a float copy of the image (float32 up to 16 bits, float64
        wider) and the float result; the way back to integers goes through
        blocks of :data:`_BLOCK` values (a few MB of float64 and int64).
    """
    dtype = image.dtype
    fractions = image.astype(np.float32 if dtype.itemsize <= 2 else np.float64)
    fractions -= fractions.dtype.type(np.iinfo(dtype).min)
    fractions /= fractions.dtype.type(span(dtype))
    result = histeq.clahe(fractions, method="opencv", nbins=nbins or DEEP_BINS, **options).reshape(-1)
    del fractions
    levels = np.empty(result.shape, dtype)
    for start in range(0, result.size, _BLOCK):
        block = slice(start, start + _BLOCK)
        offsets = np.multiply(result[block], float(span(dtype)), dtype=np.float64)  # in [0, 1]: no clip needed
        np.rint(offsets, out=offsets)
        levels[block] = levels_from_offsets(offsets, dtype)
    return levels.reshape(image.shape)


def command_line_clahe(image: np.ndarray, *, dtype_bins: bool = False, **options: Any) -> np.ndarray:
    """CLAHE as the command line runs it (method ``"opencv"``): images deeper
    than 8 bits through :func:`deep_clahe` unless ``dtype_bins``, every other
    image (and with ``dtype_bins`` every image) through :func:`histeq.clahe`.

    Parameters
    ----------
    image : ndarray
        Any image :func:`histeq.clahe` takes.
    dtype_bins : bool, default False
        One bin per level of 8/16-bit images (OpenCV's), for deep images too.
    **options
        :func:`histeq.clahe`'s other arguments (``clip_limit``, ``channel_axis``, ``color``, ...).

    Returns
    -------
    ndarray
        The image's shape and dtype (floats in [0, 1]).
    """
    if not dtype_bins and is_deep(image.dtype):
        return deep_clahe(image, **options)
    return histeq.clahe(image, **options)
