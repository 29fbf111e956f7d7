"""Compiled plans: the ones that run on every call of a common path, where one
compiled call costs less than a dozen numpy ones (each slow when its code is
out of the caches).
"""

from __future__ import annotations

import numpy as np

from .bins import jit


@jit
def _opencv_byte_offsets(counts, offsets):
    # offsets[v] = round_half_even((cdf[v] - h[v0]) * (255 / (N - h[v0]))) in
    # float32 (cv2.equalizeHist), 0 below v0, the lowest occupied bin; False
    # when fewer than two bins are occupied (the image stays as it is).
    v0 = 0
    while v0 < counts.size and counts[v0] == 0:
        v0 += 1
    total = counts.sum()
    if v0 == counts.size or counts[v0] == total:
        return False
    first = counts[v0]
    scale = np.float32(255) / np.float32(total - first)
    offsets[:v0] = 0
    cdf = 0
    for v in range(v0, counts.size):
        cdf += counts[v]
        offsets[v] = np.uint8(np.rint(np.float32(cdf - first) * scale))
    return True


def opencv_byte_offsets(counts: np.ndarray) -> np.ndarray | None:
    """cv2.equalizeHist's LUT for int64 ``counts`` (any number of bins): uint8
    offsets ``0 .. 255`` above the lowest output level, or None when fewer than
    two bins are occupied."""
    offsets = np.empty(counts.size, np.uint8)
    return offsets if _opencv_byte_offsets(counts, offsets) else None


@jit
def _interp_cdf(counts, ref_counts, ref_values, out, top):
    # np.interp(cdf[v] / N, G, R) per bin v, G and R the reference's strictly
    # increasing cumulative fractions and values at its occupied bins. The
    # fractions never decrease, so the interval j only moves up; an empty bin
    # has the fraction of the bin before it.
    total = counts.sum()
    ref_total = ref_counts.sum()
    occupied = np.flatnonzero(ref_counts)
    fractions = np.empty(occupied.size)
    values = np.empty(occupied.size)
    cdf = 0
    for k in range(occupied.size):
        cdf += ref_counts[occupied[k]]
        fractions[k] = cdf / ref_total
        values[k] = ref_values[occupied[k]]
    last = occupied.size - 1
    j = 0
    cdf = 0
    for v in range(counts.size):
        if v and not counts[v]:
            out[v] = out[v - 1]
            continue
        cdf += counts[v]
        x = cdf / total
        if x < fractions[0]:
            y = values[0]
        elif x >= fractions[last]:
            y = values[last]
        else:
            while fractions[j + 1] <= x:
                j += 1
            if fractions[j] == x:
                y = values[j]
            else:
                slope = (values[j + 1] - values[j]) / (fractions[j + 1] - fractions[j])
                y = slope * (x - fractions[j]) + values[j]
        if top is not None:
            y = min(max(np.rint(y), 0.0), top)
        out[v] = y


def interp_cdf(counts, ref_counts, ref_values, out, top=None) -> None:
    """``out = np.interp(cumsum(counts) / counts.sum(), G, ref_values[occupied])``
    to the last bit, per bin of ``counts``: ``G`` the cumulative fractions of
    ``ref_counts`` at its occupied bins, strictly increasing (fewer than
    2**52 pixels). Both counts int64 with at least one pixel, ``ref_values``
    float64 (one per reference bin); ``out`` float64, or with ``top`` (a
    float) unsigned levels: each value rounded half to even and clipped to
    ``0 .. top``."""
    _interp_cdf(counts, ref_counts, ref_values, out, top)
