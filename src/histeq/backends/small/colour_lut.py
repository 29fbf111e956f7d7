"""The uint8 YCrCb and Lab two-pass round trips of ``color="ycrcb"`` and
``"lab"`` in numpy, bit for bit as :mod:`histeq.backends.cpu.colour_lut`
(same arguments: pixel lines and a Y plane, or L, a, b in ``out``; Lab's
formulas in :mod:`.colour_lab`).

OpenCV's 14-bit integer formulas (``color_yuv.simd.hpp``), in int32 on
blocks of rows, ``DESCALE(v, 14) = (v + 2**13) >> 14``::

    Y  = DESCALE(4899 R + 9617 G + 1868 B)
    Cr = sat(DESCALE((R - Y) 11682) + 128)      Cb = sat(DESCALE((B - Y) 9241) + 128)
    R' = sat(Y' + DESCALE((Cr - 128) 22987))    B' = sat(Y' + DESCALE((Cb - 128) 29049))
    G' = sat(Y' + DESCALE((Cb - 128) (-5636) + (Cr - 128) (-11698)))

with ``Y' = lut[Y]``. Chroma depends on ``R - Y`` and ``B - Y`` alone, so
the back conversion's offsets come from tables indexed by them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .._threads import run_chunks
from . import BLOCK, _delegate, timed

__all__ = ["back", "lab_count", "lab_map", "luminance", "over_row_blocks", "pixels_of", "ycrcb_count", "ycrcb_map"]


def __getattr__(name: str) -> Any:
    # Anything else: the compiled backend's.
    return _delegate(name, "colour_lut")


def _descale(v: np.ndarray) -> np.ndarray:
    return (v + (1 << 13)) >> 14


@functools.cache
def _offsets() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The back conversion's int32 tables: ``red[R - Y + 255]`` holds R's
    offset ``DESCALE((Cr - 128) 22987)`` in its upper 16 bits and Cr in bits
    8..15, ``blue[B - Y + 255]`` B's offset and Cb in bits 0..7 (511 entries
    each), and ``green[Cr * 256 + Cb]`` G's offset (65536 entries)."""
    difference = np.arange(-255, 256, dtype=np.int32)
    cr = np.clip(_descale(difference * 11682), -128, 127)
    cb = np.clip(_descale(difference * 9241), -128, 127)
    red = _descale(cr * 22987)
    blue = _descale(cb * 29049)
    crs, cbs = np.meshgrid(np.arange(-128, 128, dtype=np.int32), np.arange(-128, 128, dtype=np.int32), indexing="ij")
    green = _descale(crs * -11698 + cbs * -5636).reshape(-1)
    return (red << 16) | ((cr + 128) << 8), (blue << 16) | (cb + 128), green


def pixels_of(lines: tuple, rows: int, cols: int) -> np.ndarray:
    # The (rows, cols, 3) samples of pixel lines (x, first, row step, pixel step).
    x, first, row_step, pixel_step = lines
    item = x.strides[0]
    return np.lib.stride_tricks.as_strided(
        x[first:], (rows, cols, 3), (row_step * item, pixel_step * item, item), writeable=True
    )


def over_row_blocks(rows: int, cols: int, work: Callable[[slice], Any]) -> list[Any]:
    """``work(block)`` for every block of rows (a slice of at most
    :data:`BLOCK` pixels' rows), on the kernels' threads (numpy's loops
    release the GIL), each block once; the results in row order. ``work``
    must write nothing another block reads."""
    step = max(1, BLOCK // max(cols, 1))

    def chunk(start: int, stop: int) -> list[Any]:
        return [work(slice(r, min(r + step, stop))) for r in range(start, stop, step)]

    return [result for results in run_chunks(chunk, rows, grain=cols) for result in results]


def luminance(block: np.ndarray, red: int) -> np.ndarray:
    # OpenCV's Y of a (rows, cols, 3) uint8 block, int32.
    r, g, b = (block[..., c].astype(np.int32) for c in (red, 1, 2 - red))
    return _descale(r * 4899 + g * 9617 + b * 1868)


@timed
def ycrcb_count(lines: tuple, plane: np.ndarray, red: int) -> np.ndarray:
    """OpenCV's Y of every pixel of a uint8 image into ``plane`` (2-D,
    C-contiguous); returns its int64 histogram (256 counts)."""
    rows, cols = plane.shape
    pixels = pixels_of(lines, rows, cols)

    def count(block: slice) -> np.ndarray:
        y = luminance(pixels[block], red)
        plane[block] = y
        return np.bincount(y.reshape(-1), minlength=256)

    return sum(over_row_blocks(rows, cols, count), np.zeros(256, np.int64))


@timed
def ycrcb_map(lines: tuple, plane: np.ndarray, lut: np.ndarray, out_lines: tuple, red: int) -> None:
    """``out`` = OpenCV's YCrCb -> RGB of (``lut[plane]``, Cr and Cb of the
    image), ``plane`` as :func:`ycrcb_count` wrote it; ``lut``: uint8[256].
    ``out`` may be the image."""
    rows, cols = plane.shape
    pixels, target = pixels_of(lines, rows, cols), pixels_of(out_lines, rows, cols)
    wide_lut = lut.astype(np.int32)

    def apply(block: slice) -> None:
        old = plane[block].astype(np.int32)
        back(pixels[block], old, wide_lut.take(old), target[block], red)

    over_row_blocks(rows, cols, apply)


def back(block: np.ndarray, old: np.ndarray, new: np.ndarray, out: np.ndarray, red: int) -> None:
    """``out`` = OpenCV's YCrCb -> RGB of (``new`` Y, Cr and Cb of the uint8
    pixels ``block``, whose Y is ``old``); int32 planes of the block's grid.
    ``out`` may be ``block``: each pixel is read before it is written."""
    red_table, blue_table, green_table = _offsets()
    from_red = red_table.take(block[..., red] - old + 255)
    from_blue = blue_table.take(block[..., 2 - red] - old + 255)
    code = (from_red & 0xFF00) | (from_blue & 0xFF)
    np.clip(new + (from_red >> 16), 0, 255, out=out[..., red], casting="unsafe")
    np.clip(new + green_table.take(code), 0, 255, out=out[..., 1], casting="unsafe")
    np.clip(new + (from_blue >> 16), 0, 255, out=out[..., 2 - red], casting="unsafe")


@timed
def lab_count(lines: tuple, out_lines: tuple, rows: int, cols: int, red: int, tables) -> np.ndarray:
    """OpenCV's 8-bit L, a, b of every pixel of a uint8 image into ``out``
    (in that order, whatever ``red``); returns the int64 histogram of L."""
    from .colour_lab import forward

    pixels, target = pixels_of(lines, rows, cols), pixels_of(out_lines, rows, cols)

    def count(block: slice) -> np.ndarray:
        lightness, a, b = forward(pixels[block], red, tables)
        out = target[block]
        out[..., 0], out[..., 1], out[..., 2] = lightness, a, b
        return np.bincount(lightness.reshape(-1), minlength=256)

    return sum(over_row_blocks(rows, cols, count), np.zeros(256, np.int64))


@timed
def lab_map(out_lines: tuple, rows: int, cols: int, red: int, lut: np.ndarray, tables) -> None:
    """``out`` (holding :func:`lab_count`'s L, a, b) = OpenCV's 8-bit Lab ->
    RGB of (``lut[L]``, a, b), in place."""
    from .colour_lab import back as lab_back

    target = pixels_of(out_lines, rows, cols)
    wide_lut = lut.astype(np.int64)

    def apply(block: slice) -> None:
        out = target[block]
        lightness, a, b = (out[..., c].astype(np.int64) for c in range(3))
        lab_back(wide_lut.take(lightness), a, b, out, red, tables)

    over_row_blocks(rows, cols, apply)
