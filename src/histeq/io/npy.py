"""NumPy ``.npy`` files: any integer or float array, loaded without pickles."""

from __future__ import annotations

from typing import BinaryIO

import numpy as np

from .common import check_pixels, native

#: The first bytes of NumPy ``.npy`` files.
NPY_MAGIC = b"\x93NUMPY"


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
        The array as saved, in native byte order (integer or float dtypes only).

    Raises
    ------
    ValueError
        For another dtype (objects, strings, ...), a bad header or a truncated file.
    TooLarge
        When the header declares more than ``max_pixels`` pixels.
    """
    shape, dtype = _header(file)
    if dtype.kind not in "iuf":
        raise ValueError(f"images must have an integer or float dtype; got {dtype}")
    samples = shape[-1] if len(shape) == 3 and shape[-1] in (2, 3, 4) else 1
    check_pixels(shape, samples, max_pixels)
    file.seek(0)
    return native(np.load(file, allow_pickle=False))


def write_npy(file: BinaryIO, array: np.ndarray) -> None:
    """Write ``array`` (any shape, integer or float dtype) as a ``.npy`` file."""
    np.save(file, array, allow_pickle=False)


def _header(file: BinaryIO) -> tuple[tuple[int, ...], np.dtype]:
    version = np.lib.format.read_magic(file)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(file)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(file)
    return shape, dtype
