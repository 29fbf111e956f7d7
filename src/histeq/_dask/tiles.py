"""Tile geometry and tile counts of Dask blocks, for both CLAHE methods.

A tile's histogram is fed by its padded positions (the tiling's ``feed``:
reflect-101 past the end, as OpenCV and scikit-image pad); a block holds the
pixels that feed some of them. :func:`count_pieces` counts every tile's share
of a block with the in-memory tile-counting kernel, as runs of occupied bins
(a 16-bit tile's histogram is mostly empty), and :func:`add_tile_counts` adds
them up per image. :func:`part` slices a tiling's per-pixel tiles and weights
to a block, for the in-memory blends.
"""

from __future__ import annotations

import itertools

import numpy as np

from .._clahe.tiles import AxisTiles, whole_axis
from ..backends import kernels
from .blocks import Groups, Key

#: Counts of a run of bins: ``(first bin, int64 counts)``.
Run = tuple[int, np.ndarray]


def lifted(codes: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A plane's codes (of its ``shape``, or flat) as the 3-D ``(z, y, x)`` the kernels read."""
    return codes.reshape((1,) * (3 - len(shape)) + shape)


def ranges(groups: Groups, offsets: tuple[int, ...], shape: tuple[int, ...]) -> list[tuple[int, int]]:
    """A block's pixel range along each lifted axis (``shape``: its plane's)."""
    starts = [offsets[a] for a in range(groups.ndim) if a not in groups.axes]
    spans = [(start, start + size) for start, size in zip(starts, shape)]
    return [(0, 1)] * (3 - len(spans)) + spans


def part(axis: AxisTiles, start: int, stop: int) -> AxisTiles:
    """The tiles and weights of pixels ``start .. stop - 1`` of an axis."""
    return AxisTiles(
        tiles=axis.tiles,
        length=axis.length,
        feed=axis.feed,
        low=axis.low[start:stop],
        high=axis.high[start:stop],
        weight_low=axis.weight_low[start:stop],
        weight_high=axis.weight_high[start:stop],
    )


def _feeding(axis: AxisTiles, start: int, stop: int) -> list[tuple[int, slice | np.ndarray]]:
    # (tile, the block's pixels that feed its padded positions, in their order)
    # for every tile that pixels start .. stop - 1 feed.
    pieces: list[tuple[int, slice | np.ndarray]] = []
    for tile in range(axis.tiles):
        fed = axis.feed[tile * axis.length : (tile + 1) * axis.length]
        inside = fed[(fed >= start) & (fed < stop)] - start
        if not inside.size:
            continue
        first, last = int(inside[0]), int(inside[-1])
        run = inside.size == last - first + 1 and bool(np.all(np.diff(inside) == 1))
        pieces.append((tile, slice(first, last + 1) if run else inside))
    return pieces


def count_pieces(
    codes: np.ndarray, axes: tuple[AxisTiles, ...], spans: list[tuple[int, int]], flip: int, shift: int, bins: int
) -> dict[int, Run]:
    """Every tile's counts of the lifted ``codes`` of a block at ``spans``
    (``count_tiles``' bins: ``(code ^ flip) >> shift``), by flat tile index."""
    cpu = kernels(codes).tiles
    tiles: dict[int, Run] = {}
    feeding = [_feeding(axis, *span) for axis, span in zip(axes, spans)]
    for (tz, iz), (ty, iy), (tx, ix) in itertools.product(*feeding):
        piece = codes[iz][:, iy][:, :, ix]
        whole = tuple(whole_axis(size) for size in piece.shape)
        counts = cpu.count_tiles(piece, flip, shift, 0, whole, bins).reshape(-1)[:bins]
        tile = (tz * axes[1].tiles + ty) * axes[2].tiles + tx
        tiles[tile] = _add_runs(tiles.get(tile), _run(counts))
    return tiles


def _run(counts: np.ndarray) -> Run:
    occupied = np.flatnonzero(counts)
    if not occupied.size:
        return 0, np.zeros(0, np.int64)
    return int(occupied[0]), counts[occupied[0] : occupied[-1] + 1].astype(np.int64)


def _add_runs(one: Run | None, other: Run) -> Run:
    if one is None or not one[1].size:
        return other
    if not other[1].size:
        return one
    low = min(one[0], other[0])
    high = max(one[0] + one[1].size, other[0] + other[1].size)
    total = np.zeros(high - low, np.int64)
    for start, counts in (one, other):
        total[start - low : start - low + counts.size] += counts
    return low, total


def add_tile_counts(*parts: dict[Key, dict[int, Run]]) -> dict[Key, dict[int, Run]]:
    """The tile counts of the union of blocks (int64 sums)."""
    total: dict[Key, dict[int, Run]] = {}
    for part in parts:
        for key, tiles in part.items():
            into = total.setdefault(key, {})
            for tile, run in tiles.items():
                into[tile] = _add_runs(into.get(tile), run)
    return total
