"""Checks of Dask arguments: the in-memory checks, run on stand-ins.

The public checks of :mod:`histeq._core.validate` and :mod:`histeq._core.batch`
read a shape and a dtype; here they read them from a zero-copy stand-in of the
Dask array (a broadcast scalar of its dtype, or for a mask one with a distinct
stride per axis, which tells afterwards which axes the check broadcast), so
that Dask inputs get the very errors numpy inputs get and nothing is computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.validate import as_image

#: A mask check from the in-memory code: a mask -> the mask broadcast to the image's shape (or None).
MaskCheck = Callable[[object], "np.ndarray | None"]


def check_dask_image(image: Any, name: str = "image") -> Any:
    """``image`` (a Dask array) checked as :func:`as_image` checks arrays,
    with known chunk sizes, in native byte order (converted lazily)."""
    if any(math.isnan(size) for sizes in image.chunks for size in sizes):
        raise ValueError(
            f"{name} is a Dask array of unknown chunk sizes (NaN in its chunks); "
            f"call {name}.compute_chunk_sizes() first"
        )
    dtype = image.dtype
    as_image(np.broadcast_to(np.zeros((), dtype.newbyteorder("=")), image.shape), name)
    if type(image._meta) is not np.ndarray:
        raise TypeError(
            f"{name} is a Dask array of {type(image._meta).__name__} blocks; histeq takes Dask arrays of "
            "numpy arrays (for a masked array, pass its data and the mask as mask=)"
        )
    return image if dtype.isnative else image.astype(dtype.newbyteorder("="))


def dask_mask(mask: object, image: Any, check: MaskCheck) -> Any:
    """``mask`` (None, a numpy array or a Dask array), checked by the
    in-memory ``check``, as a Dask array of ``image``'s shape and chunks (or None)."""
    import dask.array as da

    from . import is_dask_array

    if mask is None:
        return None
    if not is_dask_array(mask):
        checked = check(mask)
        return None if checked is None else da.from_array(checked, chunks=image.chunks)
    lazy: Any = mask
    if any(math.isnan(size) for sizes in lazy.chunks for size in sizes):
        raise ValueError("mask is a Dask array of unknown chunk sizes; call mask.compute_chunk_sizes() first")
    checked = check(_stand_in(lazy.shape, lazy.dtype))
    assert checked is not None
    # The check broadcast the axes it inserted (stride 0); the mask's own axes of
    # more than one pixel keep their strides. Axes of size 1 hold index 0 only,
    # whichever they are: they are squeezed out and inserted where the image has them.
    index = tuple(
        slice(None) if size != 1 and stride != 0 else None for size, stride in zip(checked.shape, checked.strides)
    )
    squeezed = lazy.reshape(tuple(size for size in lazy.shape if size != 1))
    return da.broadcast_to(squeezed[index], image.shape).rechunk(image.chunks)


def _stand_in(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    # An array of ``shape`` over sum(shape) elements: axis i steps one element,
    # so an axis a check inserts (stride 0) is told from the mask's own ones.
    buffer = np.zeros(max(1, sum(shape)), dtype)
    return np.lib.stride_tricks.as_strided(buffer, shape=shape, strides=(dtype.itemsize,) * len(shape))
