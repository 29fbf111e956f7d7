"""Batches: every index along the batch axes is an image of its own.

A batch is a new way of producing counts and applying mappings, not a new
algorithm: each item goes through the same plans as a single image, so the
result is bit-identical to a Python loop over the items. :class:`Batch`
names the axes; :func:`check_batch_axis` and :func:`batch_mask` validate
the public arguments once; :func:`over_items` runs an operation item by item
(every operation, dtype, colour mode and method), spreading the items over
the kernels' threads when there are many; :mod:`.item_tables` gives
the common integer cases one count, one plan table and one mapping pass
over all items at once.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, SupportsIndex, cast

import numpy as np

from ..backends import get_num_threads
from ..backends._threads import run_chunks
from .layout import channel_planes, unshared
from .validate import Masked, check_out


@dataclass(frozen=True)
class Batch:
    """The batch axes of an array.

    Attributes
    ----------
    axes : tuple of int
        The batch axes, non-negative and increasing.
    shape : tuple of int
        The array's sizes along them: the batch shape.
    """

    axes: tuple[int, ...]
    shape: tuple[int, ...]

    def item_axis(self, axis: int | None) -> int | None:
        """An axis of the whole array (not a batch axis) counted in an item's dimensions."""
        if axis is None:
            return None
        return axis - sum(batch_axis < axis for batch_axis in self.axes)

    def item_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of one item of an array of ``shape``."""
        return tuple(n for i, n in enumerate(shape) if i not in self.axes)

    def front(self, array: np.ndarray) -> np.ndarray:
        """A view of ``array`` (the batch's dimensions) with the batch axes first."""
        return np.moveaxis(array, self.axes, range(len(self.axes)))

    def indices(self) -> Iterator[tuple[int, ...]]:
        """Every item's index into :meth:`front` views, in C order."""
        return np.ndindex(*self.shape)


def check_batch_axis(batch_axis: object, shape: tuple[int, ...], channel_axis: int | None) -> Batch | None:
    """``None``, or the :class:`Batch` of ``batch_axis`` (an int or a tuple of
    ints, negative counting from the end) for an image of ``shape`` whose
    checked ``channel_axis`` (or None) is not among them; at least one image
    axis must remain."""
    if batch_axis is None:
        return None
    ndim = len(shape)
    try:
        values: tuple[Any, ...] = (
            (batch_axis,) if isinstance(batch_axis, (int, np.integer)) else tuple(cast("Any", batch_axis))
        )
        if any(isinstance(v, (bool, np.bool_)) for v in values):
            raise TypeError
        axes = [operator.index(cast(SupportsIndex, v)) for v in values]
    except TypeError:
        raise TypeError(f"batch_axis must be an int or a tuple of ints; got {batch_axis!r}") from None
    if not axes:
        raise ValueError("batch_axis must name at least one axis; got an empty tuple (use None for no batch)")
    for axis in axes:
        if not -ndim <= axis < ndim:
            raise ValueError(f"batch_axis {axis} is out of range for a {ndim}-d image")
    normal = sorted(axis % ndim for axis in axes)
    if len(set(normal)) != len(normal):
        raise ValueError(f"batch_axis names an axis twice: {batch_axis!r} (axes {normal} of a {ndim}-d image)")
    if channel_axis is not None and channel_axis in normal:
        raise ValueError(f"batch_axis {batch_axis!r} includes channel_axis {channel_axis}; an axis is one or the other")
    if len(normal) + (channel_axis is not None) >= ndim:
        with_channel = "" if channel_axis is None else f" besides channel_axis {channel_axis}"
        raise ValueError(f"batch_axis {batch_axis!r} leaves no image axes in a {ndim}-d image{with_channel}")
    return Batch(tuple(normal), tuple(shape[axis] for axis in normal))


def batch_mask(
    mask: object, shape: tuple[int, ...], batch: Batch, channel_axis: int | None, name: str = "mask", of: str = "image"
) -> np.ndarray | None:
    """A boolean mask broadcast (a view, no copy) to ``shape``, the image's
    (or, with ``of="reference"``, a batch of references').

    Accepted: ``shape`` itself (a mask per item), ``shape`` without the batch
    axes (one mask shared by every item), and either without the channel axis
    (shared by the channels). A mask that fits two of these readings is
    refused: the caller broadcasts it to ``shape`` to say which.
    """
    if mask is None:
        return None
    array = np.asarray(mask)
    if array.dtype != np.bool_:
        raise TypeError(f"{name} must be a boolean array; got dtype {array.dtype} (use {name} != 0 to convert)")
    readings: list[tuple[int, ...]] = [(), batch.axes]  # the axes a mask leaves out
    if channel_axis is not None:
        readings += [(channel_axis,), tuple(sorted((*batch.axes, channel_axis)))]

    def without(axes: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(n for i, n in enumerate(shape) if i not in axes)

    fits = [axes for axes in readings if without(axes) == array.shape]
    if not fits:
        expected = ", ".join(str(without(axes)) for axes in readings)
        raise ValueError(
            f"{name} must have the {of}'s shape {shape}, or that shape without the batch axes {batch.axes}"
            + ("" if channel_axis is None else f" and/or the channel axis {channel_axis}")
            + f" (one of {expected}); got {array.shape}"
        )
    if len(fits) > 1:
        raise ValueError(
            f"{name} of shape {array.shape} fits the {of}'s shape {shape} both without the axes {fits[0]} "
            f"and without the axes {fits[1]}; pass it broadcast to {shape} (np.broadcast_to with "
            "np.expand_dims) to say which"
        )
    return np.broadcast_to(np.expand_dims(array, fits[0]), shape)


#: Batches of at least this many items per thread run their items on the
#: threads (an item's own kernels then run on the thread it is on); fewer
#: items run one after another, each item's kernels on every thread.
ITEMS_PER_THREAD = 2

#: One item's operation: ``(item, item_mask, item_out, index) -> result``,
#: written into ``item_out`` when it is not None (or returned, then copied
#: there); ``index``: the item's index into the batch shape.
ItemCall = Callable[[np.ndarray, "np.ndarray | None", "np.ndarray | None", tuple[int, ...]], np.ndarray]


def over_items(
    data: np.ndarray,
    masked: Masked | None,
    batch: Batch,
    mask: np.ndarray | None,
    out: object,
    call: ItemCall,
    order: str = "K",
) -> np.ndarray:
    """Run an operation on every item of a batch, one after another (each
    with the kernels' threads).

    ``data``: the checked image; ``mask``: from :func:`batch_mask` (combined
    with a MaskedArray's by the caller), or None; ``out``: the public
    argument (its dtype is checked by the first item's call). Without
    ``out``, the first item's result gives the dtype of the whole result, an
    array like ``data`` (in ``order``). Returns ``out`` when given, else the
    result (a MaskedArray for a MaskedArray input). Large batches run their
    items on the kernels' threads (see :data:`ITEMS_PER_THREAD`); results
    never depend on it. An item that raises stops the batch: items before it
    may be written into ``out`` already.
    """
    result = None
    if out is not None:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy array; got {type(out).__name__}")
        result = check_out(out, data.shape, out.dtype)  # its dtype: checked by the items' calls
    if result is not None:  # an out that overlaps the image (or mask) partially: work from a copy
        data = unshared(data, result)
        mask = None if mask is None else unshared(mask, result, exact=False)
    items = batch.front(data)
    masks = None if mask is None else batch.front(mask)
    indices = list(batch.indices())
    done = 0
    if result is None:  # the first item's result gives the dtype
        first = call(items[indices[0]], None if masks is None else masks[indices[0]], None, indices[0])
        result = np.empty_like(data, dtype=first.dtype, order=cast("Any", order))
        batch.front(result)[indices[0]] = first
        done = 1
    targets = batch.front(result)

    def run(item: int) -> None:
        index = indices[done + item]
        target = targets[index]
        written = call(items[index], None if masks is None else masks[index], target, index)
        if written is not target:  # an operation without out
            target[...] = written

    run_each(run, len(indices) - done, math.prod(batch.item_shape(data.shape)))
    if out is not None:
        return cast("np.ndarray", out)
    return result if masked is None else masked.wrap(result, data)


def run_each(function: Callable[[int], object], count: int, pixels: int) -> None:
    """``function(i)`` for ``i`` in ``range(count)``, each on ``pixels`` pixels:
    spread over the kernels' threads (each call's kernels then run on the
    thread it is on) when there are at least :data:`ITEMS_PER_THREAD` per
    thread, else one after another (each call's kernels on every thread)."""

    def run(start: int, stop: int) -> None:
        for i in range(start, stop):
            function(i)

    if count >= ITEMS_PER_THREAD * get_num_threads():
        run_chunks(run, count, grain=pixels)
    else:
        run(0, count)


def item_planes(array: np.ndarray, batch: Batch | None, channel_axis: int | None) -> list[np.ndarray]:
    """Views of every item's every channel (of the whole array without
    ``batch``; all of it without ``channel_axis``), items in C order."""
    if batch is None:
        return channel_planes(array, channel_axis)
    axis = batch.item_axis(channel_axis)
    front = batch.front(array)
    return [plane for index in batch.indices() for plane in channel_planes(front[index], axis)]
