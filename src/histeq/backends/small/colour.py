"""OpenCV's uint8 YCrCb split and merge in numpy, bit for bit as
:func:`histeq.backends.cpu.colour.ycrcb_split` and ``ycrcb_merge`` (same
arguments), with :mod:`.colour_lut`'s formulas; other dtypes and the other
colour kernels come from the compiled backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _compiled, _delegate, timed
from .colour_lut import back, luminance, over_row_blocks, pixels_of

__all__ = ["ycrcb_merge", "ycrcb_split"]


def __getattr__(name: str) -> Any:
    return _delegate(name, "colour")


@timed
def ycrcb_split(lines: tuple, plane: np.ndarray, red: int) -> int:
    """OpenCV's YCrCb Y of every pixel into ``plane``; 0 (bad float samples:
    integer images have none)."""
    if lines[0].dtype != np.uint8:
        return _compiled().colour.ycrcb_split(lines, plane, red)
    rows, cols = plane.shape
    pixels = pixels_of(lines, rows, cols)

    def split(block: slice) -> None:
        plane[block] = luminance(pixels[block], red)

    over_row_blocks(rows, cols, split)
    return 0


@timed
def ycrcb_merge(lines: tuple, plane: np.ndarray, out_lines: tuple, red: int) -> None:
    """``out`` = OpenCV's YCrCb -> RGB of (``plane``, Cr and Cb of the image)."""
    if lines[0].dtype != np.uint8:
        _compiled().colour.ycrcb_merge(lines, plane, out_lines, red)
        return
    rows, cols = plane.shape
    pixels, target = pixels_of(lines, rows, cols), pixels_of(out_lines, rows, cols)

    def merge(block: slice) -> None:
        rgb = pixels[block]
        back(rgb, luminance(rgb, red), plane[block].astype(np.int32), target[block], red)

    over_row_blocks(rows, cols, merge)
