"""Batch kernels: the level histograms of many items in one table, and every
item mapped through its own LUTs, items spread over the threads.

Arrays are ``(items, channels, pixels)`` views (any strides; a mask shared
by items or channels has stride 0 there). The compiled functions run the
single-line kernels (:mod:`.count`, :mod:`.apply`, :mod:`.vbmi`) on each
item's lines, so an item is counted and mapped exactly as the same image on
its own; items ``start .. stop`` per chunk (:mod:`histeq.backends._threads`).
"""

from __future__ import annotations

import numpy as np

from .._threads import run_chunks
from . import vbmi
from .apply import _apply_levels, _map_table
from .bins import jit
from .count import _copies, _count_levels
from .plans import _opencv_byte_offsets
from .rgb import _apply_rgb as _apply_rgb_scalar
from .rgb import _count_rgb


@jit
def _count_items(x, mask, lo, hi, table, h, start, stop):
    # table[i, c] = the histogram of item i's channel c; h: this thread's
    # (copies, nbins + 1) scratch, zeroed before each line.
    nbins = table.shape[2]
    pixels = x.shape[2]
    for i in range(start, stop):
        for c in range(x.shape[1]):
            h[:] = 0
            if mask is None:
                _count_levels(x[i, c], None, lo, hi, h, 0, pixels)
            else:
                _count_levels(x[i, c], mask[i, c], lo, hi, h, 0, pixels)
            for b in range(nbins):
                total = 0
                for way in range(h.shape[0]):
                    total += h[way, b]
                table[i, c, b] = total


def count_item_levels(x: np.ndarray, mask: np.ndarray | None, lo, hi) -> np.ndarray:
    """Histograms of the integers ``lo .. hi`` (``lo=None``: ``0 .. hi``, the
    values their own bins) of every line of ``x``, shape ``(items, channels,
    pixels)``, counting only where ``mask`` (``x``'s shape, or None) is True.
    Returns int64 counts of shape ``(items, channels, bins)``."""
    nbins = int(hi) + 1 if lo is None else int(hi) - int(lo) + 1
    table = np.empty((*x.shape[:2], nbins), np.int64)
    copies = _copies(nbins)
    run_chunks(
        _count_items,
        x.shape[0],
        x,
        mask,
        lo,
        hi,
        table,
        grain=x.shape[1] * x.shape[2],
        accumulator=lambda: np.empty((copies, nbins + 1), np.int64),
    )
    return table


@jit
def _apply_items(x, lo, hi, luts, out, start, stop):
    pixels = x.shape[2]
    for i in range(start, stop):
        for c in range(x.shape[1]):
            if lo is None:
                _map_table(x[i, c], out[i, c], luts[i, c], 0, pixels)
            else:
                _apply_levels(x[i, c], lo, hi, luts[i, c], out[i, c], 0, pixels)


@jit
def _apply_item_bytes(x, luts, out, start, stop):
    # Contiguous uint8 lines, 64 bytes per instruction (AVX-512 VBMI).
    pixels = x.shape[2]
    for i in range(start, stop):
        for c in range(x.shape[1]):
            vbmi._apply_bytes(x[i, c], luts[i, c], out[i, c], 0, pixels)


def apply_item_levels(x: np.ndarray, lo, hi, luts: np.ndarray, out: np.ndarray) -> None:
    """``out[i, c, p] = luts[i, c, x[i, c, p] - lo]`` (``lo=None``: the values
    are their own bins) for arrays of shape ``(items, channels, pixels)``;
    ``luts`` of shape ``(items, channels, bins)``, contiguous."""
    grain = x.shape[1] * x.shape[2]
    if lo is None and x.dtype == np.uint8 and luts.dtype == np.uint8 and _contiguous_lines(x, out) and vbmi.available():
        run_chunks(_apply_item_bytes, x.shape[0], x, luts, out, grain=grain)
        return
    run_chunks(_apply_items, x.shape[0], x, lo, hi, luts, out, grain=grain)


def _contiguous_lines(*arrays: np.ndarray) -> bool:
    return all(a.strides[2] == a.itemsize or a.shape[2] == 1 for a in arrays)


@jit
def _count_item_rgb(x, step, pixels, table, h, start, stop):
    # Row i of x: item i's interleaved RGB bytes, a pixel every ``step``.
    for i in range(start, stop):
        h[:] = 0
        _count_rgb(x[i], step, h, 0, pixels)
        for c in range(3):
            for b in range(256):
                table[i, c, b] = h[0, 256 * c + b] + h[1, 256 * c + b]


def count_item_rgb(x: np.ndarray, step: int, pixels: int) -> np.ndarray:
    """Per-channel histograms of every row of ``x``: an item's ``pixels``
    interleaved RGB triples, one every ``step`` (3 or 4) bytes, ending with
    the last pixel's blue byte. Returns int64 counts of shape ``(items, 3, 256)``."""
    table = np.empty((x.shape[0], 3, 256), np.int64)
    run_chunks(
        _count_item_rgb,
        x.shape[0],
        x,
        step,
        pixels,
        table,
        grain=3 * pixels,
        accumulator=lambda: np.empty((2, 3 * 256), np.int64),
    )
    return table


@jit
def _apply_item_rgb(x, step, pixels, luts, out, start, stop):
    for i in range(start, stop):
        _apply_rgb_scalar(x[i], step, luts[i], out[i], step, 0, pixels)


@jit
def _apply_item_rgb_vbmi(x, step, pixels, luts, out, start, stop):
    for i in range(start, stop):
        vbmi._apply_rgb(x[i], step, luts[i], out[i], 0, pixels)


def apply_item_rgb(x: np.ndarray, step: int, pixels: int, luts: np.ndarray, out: np.ndarray) -> None:
    """Map every row of ``x`` (as :func:`count_item_rgb`) into the same row of
    ``out`` (same ``step``; 4th bytes left alone) through its three LUTs:
    ``luts`` uint8 of shape ``(items, 768)``, contiguous."""
    kernel = _apply_item_rgb_vbmi if vbmi.available() else _apply_item_rgb
    run_chunks(kernel, x.shape[0], x, step, pixels, luts, out, grain=3 * pixels)


@jit
def _opencv_byte_rows(table, luts):
    # Each row's cv2.equalizeHist LUT; the identity for rows that stay as they are.
    for r in range(table.shape[0]):
        if not _opencv_byte_offsets(table[r], luts[r]):
            for v in range(luts.shape[1]):
                luts[r, v] = v


def opencv_byte_rows(table: np.ndarray) -> np.ndarray:
    """cv2.equalizeHist's LUT of every row of an int64 ``(rows, 256)``
    ``table`` (the identity for a row with fewer than two occupied levels).
    Returns uint8 of the same shape."""
    luts = np.empty(table.shape, np.uint8)
    _opencv_byte_rows(table, luts)
    return luts
