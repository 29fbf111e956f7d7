"""Interleaved 8-bit RGB kernels: per-channel counting and scalar mapping of
RGB triples, packed (3 bytes a pixel) or one per 4 bytes (RGBX, RGBA).

:func:`histeq.backends.cpu.apply.apply_rgb` picks between the scalar mapping
here and the VBMI one (:mod:`.vbmi`).
"""

from __future__ import annotations

import numpy as np

from .._threads import run_chunks
from .bins import jit


@jit
def _count_rgb(x, step, h, start, stop):
    # Pixels start..stop of a line of RGB triples, one every ``step`` bytes;
    # neighbouring pixels go to alternate copies (alike neighbours would wait
    # on each other's counter). Each step has a loop of its own, with the
    # step a constant (a variable one cost 40%).
    line = x[step * start : step * stop]

    def count(every):
        for i in range(stop - start):
            way = i & 1
            h[way, line[every * i]] += 1
            h[way, 256 + line[every * i + 1]] += 1
            h[way, 512 + line[every * i + 2]] += 1

    if step == 4:
        count(4)
    else:
        count(3)


def count_rgb(x: np.ndarray, step: int = 3) -> np.ndarray:
    """Per-channel histograms of a line of interleaved RGB bytes.

    ``x`` holds a pixel every ``step`` bytes (3: RGB; 4: RGBX or RGBA, the
    4th byte not read) and ends with the last pixel's blue byte. Returns
    int64 counts of shape ``(3, 256)``.
    """
    tables = run_chunks(
        _count_rgb,
        rgb_pixels(x, step),
        x,
        step,
        grain=3,
        accumulator=lambda: np.zeros((2, 3 * 256), np.int64),
    )
    return sum(table.sum(axis=0) for table in tables).reshape(3, 256)


@jit
def _apply_rgb(x, x_step, luts, out, out_step, start, stop):
    # As _count_rgb, a loop for each pair of steps.
    line = x[x_step * start : x_step * stop]
    target = out[out_step * start : out_step * stop]

    def apply(every, out_every):
        for i in range(stop - start):
            target[out_every * i] = luts[line[every * i]]
            target[out_every * i + 1] = luts[256 + line[every * i + 1]]
            target[out_every * i + 2] = luts[512 + line[every * i + 2]]

    if x_step == 4:
        if out_step == 4:
            apply(4, 4)
        else:
            apply(4, 3)
    elif out_step == 4:
        apply(3, 4)
    else:
        apply(3, 3)


def rgb_pixels(x: np.ndarray, step: int) -> int:
    # The pixels of a line that ends with its last pixel's blue byte.
    return (x.size + step - 3) // step
