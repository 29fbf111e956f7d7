"""OpenCV's 8-bit L*a*b* in numpy, bit for bit as
:mod:`histeq.backends.cpu.colour_lab`'s ``lab_split_bytes`` and
``lab_merge_bytes`` (same arguments); CIE L*a*b* (16-bit and float images)
comes from the compiled backend.

Integer arithmetic on blocks of rows, with the tables of
:class:`histeq._core.colour_lab.OpenCVLab` (``DESCALE(v, n) = (v + 2**(n-1)) >> n``)::

    g = gamma[R, G, B]                      (linear RGB * 2040)
    f = cbrt[DESCALE(to_xyz . g, 12)]       (f(X), f(Y), f(Z) * 2**15)
    L = l_of_y[DESCALE(Y row . g, 12)]
    a = sat(DESCALE(500 (fX - fY) + 128 * 2**15, 15))     b likewise with 200 (fY - fZ)
    X, Y, Z = x_of_la[256 L + a], y_of_l[L], z_of_lb[256 L + b]
    R', G', B' = inv_gamma[clip(DESCALE(to_rgb . XYZ, 14), 0, 4095)]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _delegate, timed
from .colour_lut import over_row_blocks, pixels_of

__all__ = ["back", "forward", "lab_merge_bytes", "lab_split_bytes"]


def __getattr__(name: str) -> Any:
    return _delegate(name, "colour_lab")


def _linear(block: np.ndarray, red: int, tables) -> list[np.ndarray]:
    # gamma of R, G, B (int64) of a (rows, cols, 3) uint8 block.
    gamma = tables.gamma.astype(np.int64)
    return [gamma.take(block[..., c]) for c in (red, 1, 2 - red)]


def _row(m: np.ndarray, row: int, g: list[np.ndarray], shift: int) -> np.ndarray:
    # DESCALE(m[row] . g, shift)
    return (m[3 * row] * g[0] + m[3 * row + 1] * g[1] + m[3 * row + 2] * g[2] + (1 << (shift - 1))) >> shift


def forward(block: np.ndarray, red: int, tables) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OpenCV's 8-bit L, a, b (int64) of a ``(rows, cols, 3)`` uint8 block."""
    g = _linear(block, red, tables)
    m = tables.to_xyz.astype(np.int64)
    cbrt = tables.cbrt.astype(np.int64)
    fx, fy, fz = (cbrt.take(_row(m, row, g, 12)) for row in range(3))
    lightness = tables.l_of_y.take(_row(m, 1, g, 12)).astype(np.int64)
    a = np.clip((500 * (fx - fy) + (128 << 15) + (1 << 14)) >> 15, 0, 255)
    b = np.clip((200 * (fy - fz) + (128 << 15) + (1 << 14)) >> 15, 0, 255)
    return lightness, a, b


def back(lightness: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray, red: int, tables) -> None:
    """``out`` (a ``(rows, cols, 3+)`` uint8 block) = OpenCV's 8-bit Lab ->
    RGB of int64 ``lightness``, ``a``, ``b``."""
    xyz = [
        tables.x_of_la.astype(np.int64).take(lightness << 8 | a),
        tables.y_of_l.astype(np.int64).take(lightness),
        tables.z_of_lb.astype(np.int64).take(lightness << 8 | b),
    ]
    m = tables.to_rgb.astype(np.int64)
    for row, channel in enumerate((red, 1, 2 - red)):
        out[..., channel] = tables.inv_gamma.take(np.clip(_row(m, row, xyz, 14), 0, 4095))


@timed
def lab_split_bytes(lines: tuple, plane: np.ndarray, red: int, tables) -> None:
    """OpenCV's 8-bit L (0..255) of every pixel of a uint8 image into ``plane``."""
    rows, cols = plane.shape
    pixels = pixels_of(lines, rows, cols)
    gamma = tables.gamma.astype(np.int64)
    m = tables.to_xyz.astype(np.int64)

    def split(block: slice) -> None:
        rgb = pixels[block]
        g = [gamma.take(rgb[..., c]) for c in (red, 1, 2 - red)]
        plane[block] = tables.l_of_y.take(_row(m, 1, g, 12))

    over_row_blocks(rows, cols, split)


@timed
def lab_merge_bytes(lines: tuple, plane: np.ndarray, out_lines: tuple, red: int, tables) -> None:
    """``out`` = OpenCV's 8-bit Lab -> RGB of (``plane``, a and b of the image)."""
    rows, cols = plane.shape
    pixels, target = pixels_of(lines, rows, cols), pixels_of(out_lines, rows, cols)

    def merge(block: slice) -> None:
        _, a, b = forward(pixels[block], red, tables)
        back(plane[block].astype(np.int64), a, b, target[block], red, tables)

    over_row_blocks(rows, cols, merge)
