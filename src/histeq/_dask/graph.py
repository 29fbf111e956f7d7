"""The task graph of a global operation on a Dask array.

Passes, as tasks (nothing runs until the result is computed):

1. ``extent`` (only where the bins depend on the pixels: floats, wider
   integers, ``nbins``): every block's per-group extents, merged per batch
   chunk in a tree, then the groups' binnings (:func:`binnings_of`: the
   in-memory ``choose_binning`` on the extent).
2. ``count``: every block's per-group counts with those binnings, added up per
   batch chunk in a tree (int64: the same sums for any chunking).
3. ``plan``: the groups' plans from the summed counts (the caller's function:
   the in-memory plan code).
4. ``map``: every block through its groups' plans.

A batch chunk (the blocks that share their chunk indices along the batch
axes) holds whole items, so its plans need no other chunk's counts. Memory
per task: one block (and its mask block), plus the tables of the groups of
one batch chunk.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.binning import Binning, _check_finite, choose_binning
from .._core.levels import is_integer, kernel_view
from .blocks import Extent, Groups, Key, add_counts, block_counts, block_extents, block_map, merge_extents

#: Tree reductions combine this many parts per task.
SPLIT_EVERY = 8


@dataclass(frozen=True)
class Bins:
    """How a global operation bins its groups: ``nbins`` and ``value_range`` as
    the in-memory call passes them to ``choose_binning``; ``shared``: one set of
    bins for all channels of an item (``histogram``), else one per channel;
    ``fit`` and ``name`` as ``choose_binning`` takes them."""

    dtype: np.dtype
    nbins: int | None
    value_range: tuple[Any, Any] | None = None
    shared: bool = False
    fit: bool = False
    name: str = "image"

    @property
    def fixed(self) -> bool:
        """Whether the dtype and range fix the bins (no extent pass): integers
        one bin per level of an 8/16-bit dtype, or over a given range."""
        if not is_integer(self.dtype):
            return False  # floats are checked for +-inf in any case
        return self.value_range is not None or (self.nbins is None and self.dtype.itemsize <= 2)


def binnings_of(extents: dict[Key, Extent] | None, keys: list[Key], groups: Groups, bins: Bins) -> dict[Key, Binning]:
    """Every group's binning: ``choose_binning`` as the in-memory call runs it,
    on a line of two pixels that has the group's extent (or, with nothing
    counted, its first pixel / NaN, which give the in-memory default range)."""
    dtype = bins.dtype
    if extents is None:
        line = kernel_view(np.zeros(1, dtype))
        binning = choose_binning([(line, None)], dtype, bins.nbins, bins.value_range, bins.name, bins.fit)
        return dict.fromkeys(keys, binning)
    if bins.shared:  # one extent per item: its channels merged (channel 0's first pixel first)
        items: dict[Key, dict[Key, Extent]] = {}
        for key in keys:
            item = groups.item(key)
            items[item] = merge_extents(items.get(item, {}), {(): extents[key]})
        return {key: _binning(items[groups.item(key)][()], bins) for key in keys}
    return {key: _binning(extents[key], bins) for key in keys}


def _binning(extent: Extent, bins: Bins) -> Binning:
    low, high, infinite, first = extent
    dtype = bins.dtype
    _check_finite(infinite, bins.name)
    if low is not None:
        values = [low, high]
    elif is_integer(dtype):
        values = [first]
    else:
        values = [np.nan]
    line = kernel_view(np.array(values, dtype))
    return choose_binning([(line, None)], dtype, bins.nbins, bins.value_range, bins.name, bins.fit)


@dataclass(frozen=True)
class ChunkTask:
    """An argument of :meth:`Graph.mapped`: the result of task ``stage`` of the block's batch chunk."""

    stage: str


@dataclass
class Graph:
    """The tasks of one operation on ``image`` (and its ``mask``) under ``name``."""

    image: Any
    mask: Any
    groups: Groups
    name: str

    def __post_init__(self) -> None:
        self.layer: dict[Any, Any] = {}
        self.others: list[Any] = []
        self.copies: dict[tuple[str, str], Any] = {}
        chunks = self.image.chunks
        self.blocks = list(itertools.product(*(range(len(c)) for c in chunks)))
        starts = [np.concatenate(([0], np.cumsum(c)[:-1])).astype(int).tolist() for c in chunks]
        self.offsets = {b: tuple(starts[a][i] for a, i in enumerate(b)) for b in self.blocks}
        self.chunk_of = {b: tuple(b[a] for a in self.groups.batch_axes) for b in self.blocks}
        self.batch_chunks = sorted(set(self.chunk_of.values()))

    def block_key(self, block: tuple[int, ...], stage: str | None = None) -> tuple:
        """The key of the image's ``block`` as ``stage`` reads it (see :meth:`_read`)."""
        return (self._read(self.image, stage).name, *block)

    def mask_key(self, block: tuple[int, ...], stage: str | None = None) -> tuple | None:
        """The key of the mask's ``block`` as ``stage`` reads it, or None without a mask."""
        return None if self.mask is None else (self._read(self.mask, stage).name, *block)

    def _read(self, collection: Any, stage: str | None) -> Any:
        # The map (stage None) reads the collection itself; each earlier pass
        # reads its own copy of the collection's graph. Dask then loads every
        # block once per pass and frees it after its pass's task, instead of
        # holding every block loaded by the first pass until the map reads it
        # (all of an array larger than memory).
        if stage is None:
            return collection
        key = (collection.name, stage)
        if key not in self.copies:
            self.copies[key] = _copy(collection, f"{stage}-{self.name}")
        return self.copies[key]

    def keys(self, chunk: Key) -> list[Key]:
        return self.groups.keys(self.image.shape, self.image.chunks, chunk)

    def per_block(self, stage: str, task: Callable[[tuple[int, ...]], tuple]) -> None:
        for block in self.blocks:
            key = (f"{stage}-{self.name}", *block)
            self.layer[key] = task(block)

    def reduce(self, stage: str, combine: Callable[..., Any]) -> None:
        """Tree-reduce the tasks of ``stage`` per batch chunk into ``(stage-total, *chunk)``."""
        for chunk in self.batch_chunks:
            parts: list[Any] = [(f"{stage}-{self.name}", *b) for b in self.blocks if self.chunk_of[b] == chunk]
            level = 0
            while len(parts) > 1:
                level += 1
                merged = []
                for i in range(0, len(parts), SPLIT_EVERY):
                    key = (f"{stage}-{level}-{self.name}", *chunk, i)
                    self.layer[key] = (combine, *parts[i : i + SPLIT_EVERY])
                    merged.append(key)
                parts = merged
            total = (f"{stage}-total-{self.name}", *chunk)
            self.layer[total] = (combine, parts[0])

    def per_chunk(self, stage: str, task: Callable[[Key], tuple]) -> None:
        for chunk in self.batch_chunks:
            key = (f"{stage}-{self.name}", *chunk)
            self.layer[key] = task(chunk)

    def count(self, bins: Bins) -> None:
        """Tasks ``("binning-" + name, *chunk)`` and ``("count-total-" + name, *chunk)``."""
        groups = self.groups
        extents: Callable[[Key], Any] = lambda chunk: None  # noqa: E731
        if not bins.fixed:
            self.per_block(
                "extent",
                lambda b: (
                    block_extents,
                    self.block_key(b, "extent"),
                    self.mask_key(b, "extent"),
                    groups,
                    self.offsets[b],
                ),
            )
            self.reduce("extent", merge_extents)
            extents = lambda chunk: (f"extent-total-{self.name}", *chunk)  # noqa: E731
        self.per_chunk("binning", lambda c: (binnings_of, extents(c), self.keys(c), groups, bins))
        self.per_block(
            "count",
            lambda b: (
                block_counts,
                self.block_key(b, "count"),
                self.mask_key(b, "count"),
                groups,
                self.offsets[b],
                (f"binning-{self.name}", *self.chunk_of[b]),
            ),
        )
        self.reduce("count", add_counts)

    def plan(self, planner: Callable[..., Any], *arguments: Any) -> None:
        """Tasks ``("plan-" + name, *chunk)``: ``planner(counts, binnings, *arguments)``."""
        self.per_chunk(
            "plan",
            lambda c: (planner, (f"count-total-{self.name}", *c), (f"binning-{self.name}", *c), *arguments),
        )

    def mapped(self, dtype: np.dtype, mapper: Callable[..., np.ndarray] = block_map, *arguments: Any) -> Any:
        """The Dask array of every block mapped through its chunk's plans:
        ``mapper(block, groups, offsets, plans, dtype, *arguments)`` (a
        :class:`ChunkTask` argument: that task's result for the block's chunk)."""
        import dask.array as da
        from dask.highlevelgraph import HighLevelGraph

        for block in self.blocks:
            key = (self.name, *block)
            chunk = self.chunk_of[block]
            resolved = [(f"{a.stage}-{self.name}", *chunk) if isinstance(a, ChunkTask) else a for a in arguments]
            self.layer[key] = (
                mapper,
                self.block_key(block),
                self.groups,
                self.offsets[block],
                (f"plan-{self.name}", *chunk),
                dtype,
                *resolved,
            )
        graph = HighLevelGraph.from_collections(self.name, self.layer, dependencies=self.dependencies())
        meta = np.empty((0,) * self.image.ndim, dtype)
        return da.Array(graph, self.name, chunks=self.image.chunks, dtype=dtype, meta=meta)

    def results(self, *stages: str) -> dict[Key, tuple]:
        """Compute the tasks ``(stage, *chunk)`` of every batch chunk: ``{chunk: (value of each stage)}``."""
        from dask.delayed import Delayed
        from dask.highlevelgraph import HighLevelGraph

        final = f"results-{self.name}"
        wanted = [[(f"{stage}-{self.name}", *chunk) for stage in stages] for chunk in self.batch_chunks]
        self.layer[final] = (_gather, *[key for keys in wanted for key in keys])
        graph = HighLevelGraph.from_collections(final, self.layer, dependencies=self.dependencies())
        values = Delayed(final, graph).compute()
        width = len(stages)
        return {chunk: tuple(values[i * width : (i + 1) * width]) for i, chunk in enumerate(self.batch_chunks)}

    def include(self, other: Graph) -> None:
        """Take in the tasks of ``other`` (e.g. a reference's counts), for this graph's plans to use."""
        self.layer.update(other.layer)
        self.others.extend(other.dependencies())

    def dependencies(self) -> list[Any]:
        own = [self.image] if self.mask is None else [self.image, self.mask]
        return own + list(self.copies.values()) + self.others


def _copy(collection: Any, tag: str) -> Any:
    """``collection`` with every task renamed by ``tag`` (data kept as it is):
    the same blocks, computed apart from the original's."""
    import dask.array as da
    from dask._task_spec import Alias, DataNode, convert_legacy_graph
    from dask.core import flatten
    from dask.highlevelgraph import HighLevelGraph

    def renamed(key: Any) -> Any:
        return (f"{key[0]}-{tag}", *key[1:]) if isinstance(key, tuple) else f"{key}-{tag}"

    graph = convert_legacy_graph(dict(collection.__dask_graph__()))
    names = {key: renamed(key) for key, node in graph.items() if not isinstance(node, DataNode)}
    copied = {names.get(key, key): node.substitute(names, key=names.get(key, key)) for key, node in graph.items()}
    for key in flatten(collection.__dask_keys__()):
        if key not in names:  # a block held as data: the copy's block is that data
            copied[renamed(key)] = Alias(renamed(key), key)
    name = renamed(collection.name)
    layers = HighLevelGraph.from_collections(name, copied, dependencies=[])
    return da.Array(layers, name, chunks=collection.chunks, dtype=collection.dtype, meta=collection._meta)


def _gather(*values: Any) -> list[Any]:
    return list(values)
