"""scikit-image's CLAHE, bit for bit: ``skimage.exposure.equalize_adapthist``.

The pipeline, with scikit-image's arithmetic at every step (see
``ALGORITHMS.md``):

1. pixels to 16-bit levels (``img_as_uint``), then to 14-bit levels by a
   min-max stretch and to bins: one table from 16-bit levels to bins, applied
   per pixel (:func:`_bin_codes`);
2. per-tile histograms over scikit-image's reflect-padded regions
   (:func:`histeq._clahe.tiles.skimage_tiling`,
   :func:`histeq.backends.cpu.tiles.count_tiles`);
3. per-tile LUTs: clip with iterative redistribution, scaled cumulative sum
   (:func:`histeq.backends.cpu.skimage_tiles.skimage_luts`);
4. the multilinear blend of neighbouring tiles' LUTs, truncated to uint16
   (:func:`histeq.backends.cpu.skimage_tiles.blend`);
5. a min-max stretch to [0, 1] in the output float type: one table from
   blended levels to output values (:func:`_stretch`).

Unlike scikit-image, nothing is guessed from the shape: every array is one
grey image or volume, also when its last axis has length 3 or 4.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import cast

import numpy as np

from .._core.layout import pixel_line
from .._core.levels import skimage_float_dtype
from .._core.validate import as_image, check_nbins
from ..backends import kernels
from .tiles import skimage_tiling, whole_axis

#: Levels scikit-image requantizes to (14 bits).
_LEVELS = 16384
#: Dtypes scikit-image's CLAHE is reproduced for.
_DTYPES = (np.uint8, np.uint16, np.float16, np.float32, np.float64)


def skimage_clahe(
    image: object,
    *,
    kernel_size: object = None,
    clip_limit: float = 0.01,
    nbins: int = 256,
) -> np.ndarray:
    """Contrast limited adaptive histogram equalization exactly as
    ``skimage.exposure.equalize_adapthist(image, kernel_size, clip_limit, nbins)``.

    Parameters
    ----------
    image : array_like
        A 1-, 2- or 3-D grey image of dtype uint8, uint16 or float (float
        values within [-1, 1], negative ones count as 0, as in scikit-image).
        Never taken as colour, whatever its shape.
    kernel_size : int or sequence of int, optional
        Pixels per contextual region along each axis; an int is used on every
        axis. Default: 1/8 of each axis (at least 1).
    clip_limit : float, optional
        Clipping limit as a fraction of a region's pixels; 0 (or 1 and more)
        does not clip.
    nbins : int, optional
        Number of histogram bins.

    Returns
    -------
    ndarray
        The equalized image in [0, 1]: float32 for float16 and float32 input,
        float64 otherwise; every element equal to scikit-image's result.

    Raises
    ------
    TypeError
        For other dtypes, or arguments of the wrong kind.
    ValueError
        For images of more than 3 dimensions, float images with NaN or values
        outside [-1, 1], non-positive kernel sizes, negative or non-finite
        clip limits and ``nbins`` outside ``1 .. 2**20``.

    Notes
    -----
    Extra memory: 2 bytes per pixel (the bin codes, then the blended levels,
    in place) besides the output; 4 more for float16 input (converted to
    float32) and a copy of integer images whose pixels do not form one evenly
    strided line. Per tile, ``nbins`` histogram counts and LUT entries.

    float16 deviates: scikit-image converts float16 to 16-bit levels in
    float16 arithmetic, where 65535 overflows to infinity, so every float16
    image comes out constant; here float16 is converted exactly to float32
    first, which gives scikit-image's result for that float32 image.
    """
    array = _grey_image(image)
    kernel = _kernel_size(kernel_size, array.shape)
    bins = _bin_count(nbins)
    elements = math.prod(kernel)
    clim = _clip_pixels(clip_limit, elements)
    codes = _bin_codes(array, bins).reshape((1,) * (3 - array.ndim) + array.shape)
    axes = [whole_axis(1)] * (3 - array.ndim) + skimage_tiling(array.shape, kernel)
    cpu = kernels(codes)
    hist = cpu.tiles.count_tiles(codes, 0, 0, 0, axes, bins)
    luts = cpu.skimage_tiles.skimage_luts(hist.reshape(-1, bins + 1), clim, elements)
    low, high = cpu.skimage_tiles.blend(codes, luts, axes)
    return _stretch(codes, low, high, skimage_float_dtype(array.dtype)).reshape(array.shape)


def _grey_image(image: object) -> np.ndarray:
    """The image as an array of a supported dtype and 1 to 3 dimensions;
    float16 as float32."""
    array = as_image(image)
    if array.dtype.type not in _DTYPES:
        raise TypeError(
            f"method='skimage' CLAHE takes uint8, uint16 or float images; got dtype "
            f"{array.dtype} (scale it to one of these first)"
        )
    if array.ndim > 3:
        raise ValueError(f"method='skimage' CLAHE takes 1-, 2- or 3-D images; got {array.ndim}-D")
    return array.astype(np.float32) if array.dtype == np.float16 else array


def _kernel_size(kernel_size: object, shape: tuple[int, ...]) -> tuple[int, ...]:
    """scikit-image's kernel size: 1/8 of each axis by default (at least 1),
    an int on every axis, else one size per axis; each truncated to an int."""
    if kernel_size is None:
        return tuple(max(size // 8, 1) for size in shape)
    sizes: tuple[object, ...]
    if isinstance(kernel_size, numbers.Number):
        sizes = (kernel_size,) * len(shape)
    elif isinstance(kernel_size, (str, bytes)):
        raise TypeError(f"kernel_size must be an int or a sequence of ints; got {kernel_size!r}")
    else:
        try:
            sizes = tuple(cast("Iterable[object]", kernel_size))  # a non-iterable raises TypeError
        except TypeError:
            raise TypeError(f"kernel_size must be an int or a sequence of ints; got {kernel_size!r}") from None
        if len(sizes) != len(shape):
            raise ValueError(f"kernel_size must have one size per image axis ({len(shape)}); got {kernel_size!r}")
    whole = []
    for size in sizes:
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Real):
            raise TypeError(f"kernel_size must hold numbers; got {kernel_size!r}")
        real = cast(float, size)  # any real number (PEP 484's float; typeshed's numbers.Real has no int())
        if not (math.isfinite(real) and int(real) >= 1):
            raise ValueError(f"kernel_size must be at least 1 on every axis; got {kernel_size!r}")
        whole.append(int(real))
    return tuple(whole)


def _bin_count(nbins: object) -> int:
    """``nbins``: an int in ``1 .. 2**20`` (``None`` is refused)."""
    if nbins is None:
        raise TypeError("nbins must be an integer; got None")
    count = check_nbins(nbins)
    assert count is not None  # None was refused above
    return count


def _clip_pixels(clip_limit: object, elements: int) -> int:
    """Pixels allowed per bin, computed as scikit-image does (in the type of
    ``clip_limit``): ``int(max(clip_limit * elements, 1))``, or ``elements``
    (no clipping) for 0. Capped at ``elements``: a region holds no more, so
    larger limits clip nothing either."""
    if isinstance(clip_limit, (bool, np.bool_)) or not isinstance(clip_limit, numbers.Real):
        raise TypeError(f"clip_limit must be a number; got {clip_limit!r}")
    # Any real number (PEP 484's float; typeshed's numbers.Real has no arithmetic
    # with ints and floats); a numpy scalar keeps its own type's arithmetic.
    limit = cast(float, clip_limit)
    if not (math.isfinite(limit) and limit >= 0):
        raise ValueError(f"clip_limit must be finite and at least 0; got {clip_limit!r}")
    if limit > 0.0:
        return min(int(np.clip(limit * elements, 1, None)), elements)
    return elements


def _bin_codes(array: np.ndarray, nbins: int) -> np.ndarray:
    """Every pixel's bin (uint16, ``array``'s shape, C order): its 16-bit
    level, stretched from the image's range to 14 bits and binned."""
    return bin_codes(array, bin_table(np.min(array), np.max(array), array.dtype, nbins))


def bin_table(low: object, high: object, dtype: np.dtype, nbins: int) -> np.ndarray:
    """The bin of every 16-bit level (uint16, 65536 entries) of an image of
    ``dtype`` (from :func:`_grey_image`) whose min and max are ``low`` and
    ``high`` (NaN if it holds NaN): ValueError for floats outside [-1, 1] or NaN."""
    ends = np.array([low, high], dtype=dtype)
    first, last = ends
    if ends.dtype.kind == "f":
        if np.isnan(first) or first < -1.0 or last > 1.0:
            raise ValueError(
                f"float images must hold values within [-1, 1] and no NaN (as scikit-image "
                f"requires); got values from {first} to {last}"
            )
        ends = _float_levels(ends)
    else:
        ends = _integer_levels(ends)
    return _bin_table(int(ends[0]), int(ends[1]), nbins)


def bin_codes(array: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Every pixel's bin through :func:`bin_table`'s ``table`` (uint16,
    ``array``'s shape, C order): the whole image, or a part of it."""
    codes = np.empty(array.shape, dtype=np.uint16)
    line = pixel_line(array, tuple(range(array.ndim)))
    if array.dtype.kind == "f":
        kernels(line).skimage_tiles.float_codes(line, table, codes.reshape(-1))
    else:
        top = np.iinfo(array.dtype).max
        values = np.arange(top + 1, dtype=array.dtype)
        kernels().apply_levels(line, None, array.dtype.type(top), table[_integer_levels(values)], codes.reshape(-1))
    return codes


def _integer_levels(values: np.ndarray) -> np.ndarray:
    """scikit-image's ``img_as_uint`` of uint8 (times 257) or uint16 (as is) values."""
    return values.astype(np.uint16) * np.uint16(257 if values.dtype == np.uint8 else 1)


def _float_levels(values: np.ndarray) -> np.ndarray:
    """scikit-image's ``img_as_uint`` of float32 or float64 values: ``rint(x *
    65535)`` in their type, clipped (:func:`histeq.backends.cpu.skimage_tiles.float_codes`
    does the same per pixel)."""
    levels = np.multiply(values, 65535, dtype=values.dtype)
    return np.clip(np.rint(levels), 0, 65535).astype(np.uint16)


def _bin_table(low: int, high: int, nbins: int) -> np.ndarray:
    """The bin of every 16-bit level (uint16, 65536 entries) in an image whose
    levels span ``low .. high``: 14-bit levels ``round(rescale_intensity(u,
    out_range=(0, 16383)))``, then integer division by ``1 + 16384 // nbins``."""
    levels = _rescale(np.arange(1 << 16, dtype=np.uint16), low, high, _LEVELS - 1)
    return np.round(levels).astype(np.uint16) // np.uint16(1 + _LEVELS // nbins)


def _stretch(levels: np.ndarray, low: int, high: int, dtype: np.dtype) -> np.ndarray:
    """scikit-image's final ``rescale_intensity`` of the blended ``levels``
    (uint16 spanning ``low .. high``) to [0, 1] in ``dtype``, as a new array."""
    table = _rescale(np.arange(high + 1, dtype=np.uint16).astype(dtype), low, high, 1)
    out = np.empty(levels.shape, dtype=dtype)
    kernels().apply_levels(levels.reshape(-1), None, np.uint16(high), table, out.reshape(-1))
    return out


def _rescale(values: np.ndarray, low: int, high: int, top: int) -> np.ndarray:
    """``skimage.exposure.rescale_intensity(values, in_range=(low, high),
    out_range=(0, top))`` in its arithmetic and float type: ``(v - low) /
    (high - low) * top`` (its ``+ 0`` omitted: it changes nothing), or, for
    ``low == high``, the values clipped to ``0 .. top``."""
    clipped = np.clip(values, float(low), float(high))
    if low != high:
        return (clipped - float(low)) / float(high - low) * float(top)
    return np.clip(clipped, 0.0, float(top))
