"""Levels and dtypes: integer kinds, spans, and how output levels are written
into integer dtypes (what each method returns is in :mod:`.methods`)."""

from __future__ import annotations

import numpy as np


def is_integer(dtype: np.dtype) -> bool:
    """True for signed and unsigned integer dtypes (bool is rejected earlier)."""
    return dtype.kind in "iu"


def is_small_integer(dtype: np.dtype) -> bool:
    """8- and 16-bit integers: one histogram bin per level of the whole dtype."""
    return is_integer(dtype) and dtype.itemsize <= 2


def kernel_view(line: np.ndarray) -> np.ndarray:
    """``line`` as kernels read and write it: float16 as its uint16 bit patterns
    (kernels have no float16 arithmetic; histeq maps the 65536 patterns through
    a table instead), everything else as it is. A view, never a copy."""
    return line.view(np.uint16) if line.dtype == np.float16 else line


def skimage_float_dtype(dtype: np.dtype) -> np.dtype:
    """The float dtype scikit-image returns for an input of ``dtype``:
    float32 for float16 and float32, float64 otherwise."""
    if dtype in (np.float16, np.float32):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def span(dtype: np.dtype) -> int:
    """``max - min`` of an integer dtype (255 for uint8, 2**64 - 1 for int64)."""
    info = np.iinfo(dtype)
    return int(info.max) - int(info.min)


def levels_from_fractions(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Floats in [0, 1] (clipped) as levels of an integer ``dtype`` over its
    whole range: ``min + round(value * (max - min))``, computed in float64
    (float32 cannot hold the spans of 32- and 64-bit dtypes)."""
    fractions = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)
    return levels_from_offsets(np.rint(fractions * float(span(dtype))), dtype)


def levels_from_offsets(offsets: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Integer levels of ``dtype`` from float64 offsets above the dtype's minimum.

    ``offsets`` are whole numbers in ``[0, max - min]`` as float64 (values just
    past the top, which float64 rounding of 2**64 - 1 produces, are clipped to
    the top level). Returns an array of ``dtype``.
    """
    info = np.iinfo(dtype)
    top_offset = span(dtype)
    if top_offset < 2**53:
        return (np.clip(offsets, 0, top_offset).astype(np.int64) + int(info.min)).astype(dtype)
    # 64-bit dtypes: float64(2**64 - 1) == 2**64, so the top is set exactly.
    top = offsets >= float(top_offset)
    below = np.clip(offsets, 0, np.nextafter(float(top_offset), 0)).astype(np.uint64)
    below[top] = np.uint64(top_offset)
    shifted = below + np.uint64(int(info.min) % 2**64)  # wraps modulo 2**64
    return shifted.view(np.int64) if dtype == np.int64 else shifted
