"""``color=`` modes of Dask arrays: :func:`histeq._core.colour_modes.run`,
block by block around a Dask operation.

The luminance (Y, L, V), or the colour channels, is computed block by block
(the channel axis one chunk), the operation runs on it as a Dask array (its
own global counts and plans), and every block is put back together by the
in-memory :func:`~histeq._core.colour_modes.run` itself, handed the processed
block for the grey (or per-channel) operation: the conversions, the merge and
alpha are the in-memory code's.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.colour_modes import ColourMode, run, spatial_mask, visible
from .._core.colour_spaces import split_luminance

#: A Dask operation on a grey image or on channels (last axis): (array, mask or None) -> array.
LazyOperation = Callable[[Any, Any], Any]


def run_lazy(
    image: Any,
    request: ColourMode,
    mask: Any,
    grey: LazyOperation,
    per_channel: LazyOperation,
    *,
    counts_visible: bool,
) -> Any:
    """``colour_modes.run`` of a Dask ``image`` (``mask``: a Dask mask of its
    shape, or None); ``counts_visible``: transparent pixels are left out of
    the counts as the in-memory operation leaves them (``visible``)."""
    import dask.array as da

    image = image.rechunk({request.axis: -1})
    parts = lazy_parts(image, request, request.axis, mask, counts_visible=counts_visible)
    if request.luminance:
        processed = grey(parts.grey, parts.grey_mask)
        if processed.dtype != parts.grey.dtype:
            raise ValueError(
                f"color={request.mode!r} needs a method that returns the luminance's dtype "
                f"{parts.grey.dtype}; this one returns {processed.dtype}"
            )
        dtype = image.dtype
    else:
        if request.mode == "joint":
            processed = grey(parts.grey, parts.grey_mask)
        else:
            processed = per_channel(parts.colours, parts.channel_mask)
        if request.colours < image.shape[request.axis] and processed.dtype != image.dtype:
            raise ValueError(
                f"keep_alpha needs a method that returns the image's dtype {image.dtype}; this one returns "
                f"{processed.dtype}"
            )
        dtype = processed.dtype
    axis = request.axis
    letters = string.ascii_letters[: image.ndim]
    spatial = letters.replace(letters[axis], "")
    processed_letters = spatial if request.luminance else spatial + string.ascii_letters[image.ndim]
    return da.blockwise(
        _merge, letters, image, letters, processed, processed_letters, request=request, dtype=dtype, concatenate=True
    )


@dataclass(frozen=True)
class Parts:
    """What an operation in a colour mode reads of a Dask image (channel axis
    ``axis``, one chunk): the grey image (the luminance plane, or for
    ``"joint"`` the colours, channels last) and its mask, the colours (channels
    last) and their mask. Masks: None, or Dask arrays."""

    grey: Any
    grey_mask: Any
    colours: Any
    channel_mask: Any


def lazy_parts(image: Any, request: ColourMode, axis: int, mask: Any, *, counts_visible: bool) -> Parts:
    """The :class:`Parts` of ``image`` (or of a reference, whose colour lies
    along ``axis``), as :func:`~histeq._core.colour_modes.run` and the
    operations' colour code make them; ``counts_visible``: transparent pixels
    are left out of the masks (``visible``)."""
    import dask.array as da

    image = image.rechunk({axis: -1})
    if mask is not None:
        mask = mask.rechunk(image.chunks)
    if counts_visible and request.has_alpha and not request.count_transparent:
        arrays = [image] if mask is None else [image, mask]
        mask = da.map_blocks(_visible, *arrays, request=request, axis=axis, dtype=bool)
    moved = da.moveaxis(image, axis, -1)
    colours = moved[..., : request.colours]
    moved_mask = None if mask is None else da.moveaxis(mask, axis, -1)
    # The pixel grid's mask (luminance, joint): each block checked as the
    # in-memory call checks the whole mask (the same pixels in every channel).
    pixels = None if moved_mask is None else moved_mask.map_blocks(_pixels, drop_axis=moved_mask.ndim - 1, dtype=bool)
    channel_mask = None if moved_mask is None else moved_mask[..., : request.colours]
    if request.luminance:
        plane_dtype = _plane(np.zeros((1,) * (image.ndim - 1) + (image.shape[axis],), image.dtype), request).dtype
        plane = moved.map_blocks(_plane, request, drop_axis=moved.ndim - 1, dtype=plane_dtype)
        return Parts(plane, pixels, colours, channel_mask)
    grey_mask = None if pixels is None else da.broadcast_to(pixels[..., None], colours.shape)
    return Parts(colours, grey_mask, colours, channel_mask)


def _pixels(block: np.ndarray) -> np.ndarray:
    # A mask block's pixel grid (channels last); ValueError where its channels differ.
    pixels = spatial_mask(block, -1)
    assert pixels is not None  # a block, never None
    return pixels


def _visible(block: np.ndarray, mask: np.ndarray | None = None, *, request: ColourMode, axis: int) -> np.ndarray:
    # The pixels to count of a block: visible's, as a full boolean block.
    counted = visible(block, axis, request, mask)
    return np.ones(block.shape, bool) if counted is None else np.broadcast_to(counted, block.shape)


def _plane(block: np.ndarray, request: ColourMode) -> np.ndarray:
    # A block's luminance plane (its colours on the last axis), as run computes it.
    return split_luminance(block[..., : request.colours], request.mode, order=request.order).plane


def _merge(block: np.ndarray, processed: np.ndarray, *, request: ColourMode) -> np.ndarray:
    # The block put back by run, the operation's result on it being ``processed``.
    def done(_: np.ndarray, __: np.ndarray | None) -> np.ndarray:
        return processed

    return run(block, request, None, None, done, done)
