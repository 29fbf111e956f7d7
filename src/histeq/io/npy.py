"""NumPy ``.npy`` files: any integer or float array, loaded without pickles."""

from __future__ import annotations

from typing import BinaryIO

import numpy as np

from .common import Refused, check_pixels, native


def read_npy(file: BinaryIO, max_pixels: int | None) -> np.ndarray:
    """The array a ``.npy`` file holds, refused from its header if too large.

    Parameters
    ----------
    file : binary file
        Seekable, at the start of the file.
    max_pixels : int or None
        The most pixels the header may declare (a last axis of 2, 3 or 4 of a
        3-d array counts as colour samples); None: no limit.

    Returns
    -------
    ndarray
        The array as saved, in native byte order (integer or float dtypes
        only, at least 2-d, not empty).

    Raises
    ------
    ValueError
        For another dtype (objects, strings, ...), a bad header or a truncated file.
    Refused
        For an array that is no image: 0-d (a scalar), 1-d (a signal: the
        message says how to save it as one row) or empty.
    TooLarge
        When the header declares more than ``max_pixels`` pixels.
    """
    shape, dtype = _header(file)
    if dtype.kind not in "iuf":
        raise ValueError(f"images must have an integer or float dtype; got {dtype}")
    _check_image_shape(shape)
    samples = shape[-1] if len(shape) == 3 and shape[-1] in (2, 3, 4) else 1
    check_pixels(shape, samples, max_pixels)
    file.seek(0)
    return native(np.load(file, allow_pickle=False))


def write_npy(file: BinaryIO, array: np.ndarray) -> None:
    """Write ``array`` (any shape, integer or float dtype) as a ``.npy`` file."""
    np.save(file, array, allow_pickle=False)


def _check_image_shape(shape: tuple[int, ...]) -> None:
    """Refuse arrays that are no image: fewer than two axes, or no pixels."""
    if len(shape) == 0:
        raise Refused("a 0-d array (a scalar) is not an image")
    if len(shape) == 1:
        raise Refused(
            f"a 1-d array (shape {shape}) is not an image; "
            f"save it with shape (1, {shape[0]}) to process it as one row of pixels"
        )
    if 0 in shape:
        raise Refused(f"an empty array (shape {shape}) is not an image")


def _header(file: BinaryIO) -> tuple[tuple[int, ...], np.dtype]:
    version = np.lib.format.read_magic(file)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(file)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(file)
    return shape, dtype
