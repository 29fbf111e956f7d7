"""Plans of the image tools' global equalizations: ImageJ, ImageMagick, libvips.

Same contract as :mod:`.plans`: ``plan(counts, binning, out_dtype, target) ->
LUT or None``, bins only, plain numpy. Each reproduces one tool's arithmetic to
the last bit on the dtypes it reads (uint8 and uint16: one bin per level of the
whole dtype); the formulas are written out in ``docs/methods.md`` and checked
against the real tools in ``tests/peers``. ``None`` leaves the image as it is:
nothing counted (an empty mask), or what the tool itself leaves unchanged.
"""

from __future__ import annotations

import numpy as np

from .binning import Binning, LevelBins

#: ImageMagick's quantum range at Q16 (its ``MaxMap`` and ``QuantumRange``).
MAGICK_TOP = 65535
#: libvips counts with 32-bit accumulators and normalizes in float32 below
#: this many pixels, in float64 from it on (its "large" histograms).
VIPS_LARGE = 1 << 32


def _level_counts(counts: np.ndarray, binning: Binning, out_dtype: np.dtype, method: str) -> np.ndarray:
    # The counts of every level of a uint8/uint16 image (the tools' own bins).
    full = isinstance(binning, LevelBins) and binning.direct and counts.size == np.iinfo(out_dtype).max + 1
    if not full:
        raise ValueError(f"method={method!r} counts one bin per level, as the tool does; nbins cannot be set")
    return counts


def imagej(
    counts: np.ndarray, binning: Binning, out_dtype: np.dtype, target: np.ndarray | None = None
) -> np.ndarray | None:
    """ImageJ's Enhance Contrast > Equalize: each level weighted by the square
    root of its count (counts below 2 as they are), trapezoidal sum."""
    return imagej_lut(_level_counts(counts, binning, out_dtype, "imagej"), out_dtype, classic=False)


def imagej_classic(
    counts: np.ndarray, binning: Binning, out_dtype: np.dtype, target: np.ndarray | None = None
) -> np.ndarray | None:
    """ImageJ's classic equalization: plain counts, trapezoidal sum."""
    return imagej_lut(_level_counts(counts, binning, out_dtype, "imagej-classic"), out_dtype, classic=True)


def imagej_lut(counts: np.ndarray, out_dtype: np.dtype, *, classic: bool) -> np.ndarray | None:
    """ImageJ's equalization LUT of the counts of every level (256 or 65536),
    None when nothing is counted."""
    # ContrastEnhancer.equalize(ImageProcessor, int[]), top = 255 or 65535:
    #   total = w[0] + 2 * sum(w[1:top]) + w[top], summed in this order;
    #   scale = top / total; lut[0] = 0, lut[top] = top and for 0 < i < top
    #   lut[i] = Math.round(scale * (w[0] + 2 * sum(w[1:i]) + w[i])), the
    #   running sum built as ImageJ builds it (w[i] added twice, one at a time).
    if not counts.any():
        return None
    top = counts.size - 1
    weights = counts.astype(np.float64)
    if not classic:
        weights = np.where(counts >= 2, np.sqrt(weights), weights)
    inner = weights[1:top]
    # np.cumsum adds strictly left to right: the same float64 sums as ImageJ's loops.
    total = np.cumsum(np.concatenate((weights[:1], 2.0 * inner, weights[top:])))[-1]
    scale = top / total
    running = np.cumsum(np.concatenate((weights[:1], np.repeat(inner, 2))))
    lut = np.empty(top + 1, dtype=np.int64)
    lut[0], lut[top] = 0, top
    lut[1:top] = _java_round(running[1::2] * scale)
    return lut.astype(out_dtype)


def _java_round(values: np.ndarray) -> np.ndarray:
    # Java's Math.round of non-negative doubles: floor(x + 1/2) computed
    # exactly (ties up), not as the float64 sum x + 0.5.
    low = np.floor(values)
    return (low + (values - low >= 0.5)).astype(np.int64)


def imagemagick(
    counts: np.ndarray, binning: Binning, out_dtype: np.dtype, target: np.ndarray | None = None
) -> np.ndarray | None:
    """ImageMagick 6 Q16's ``-equalize`` of one channel: ``cdf - cdf[0]`` (the
    count of level 0, not of the first occupied level) scaled to 65535, rounded
    as ImageMagick casts to its quantum; 8-bit files are written back as
    ``quantum // 257``."""
    counts = _level_counts(counts, binning, out_dtype, "imagemagick")
    # uint8 levels v are quanta 257 v, whose cumulative counts are the levels'.
    quanta = magick_quanta(counts)
    if quanta is None:
        return None
    if out_dtype == np.uint8:
        quanta //= 257  # ImageMagick 6's PNG writer reduces 16-bit quanta to 8 bits by truncation
    return quanta.astype(out_dtype)


def magick_quanta(counts: np.ndarray) -> np.ndarray | None:
    """ImageMagick 6 Q16's equalization map (int64 quanta) of counts per bin:
    ``65535 * (cdf - counts[0]) / (N - counts[0])`` in float64, 0 at or below
    0, 65535 at or above, else ``trunc(x + 0.5)``. None where every counted
    pixel is in bin 0 (ImageMagick then leaves the channel alone)."""
    total = int(counts.sum())
    black = int(counts[0])
    if total == black:
        return None
    value = MAGICK_TOP * (np.cumsum(counts) - black).astype(np.float64) / float(total - black)
    quanta = np.where(value >= MAGICK_TOP, MAGICK_TOP, np.trunc(value + 0.5)).astype(np.int64)
    quanta[value <= 0.0] = 0
    return quanta


def vips(
    counts: np.ndarray, binning: Binning, out_dtype: np.dtype, target: np.ndarray | None = None
) -> np.ndarray | None:
    """libvips' ``hist_equal`` of one band: the cumulative histogram scaled so
    that its end is the histogram's last bin (255 for uint8, the image's own
    maximum for uint16), in float32, truncated."""
    counts = _level_counts(counts, binning, out_dtype, "vips")
    occupied = np.flatnonzero(counts)
    if occupied.size == 0:
        return None
    total = int(counts.sum())
    # hist_find: 256 bins for uchar, max + 1 for ushort; hist_norm: new_max =
    # bins - 1 and out = (float) (new_max / total) * (float) cum (vips_linear
    # in float32 below 2**32 pixels, float64 above); vips_cast truncates.
    top = 255 if out_dtype == np.uint8 else int(occupied[-1])
    cdf = np.cumsum(counts)
    if total < VIPS_LARGE:
        scaled = np.float32(top / total) * cdf.astype(np.float32)
    else:
        scaled = (top / total) * cdf.astype(np.float64)
    return np.clip(scaled, 0, np.iinfo(out_dtype).max).astype(out_dtype)


def ffmpeg_lut(counts: np.ndarray, strength: int, intensity: int) -> np.ndarray:
    """ffmpeg's ``histeq`` LUT of a luma histogram (256 int64 values, C's
    32-bit int arithmetic: they may fall outside 0..255, even below 0).

    ``strength`` and ``intensity`` are the filter's options times 1000, as it
    truncates them (:func:`ffmpeg_permille`). ``lut[x] = cdf[x] * intensity / N``
    (the product wraps at 2**31 as C's int does), then mixed with the
    identity: ``strength * lut[x] / 255 + (255 - strength) * x / 255``;
    every division truncates toward zero.
    """
    total = int(counts.sum())
    wrapped = (np.cumsum(counts) * intensity + 2**31) % 2**32 - 2**31
    normalized = _c_divide(wrapped, total)
    return _c_divide(strength * normalized, 255) + _c_divide((255 - strength) * np.arange(counts.size), 255)


def ffmpeg_permille(value: float) -> int:
    """An option of ffmpeg's ``histeq`` as the filter uses it: stored as a
    float32, multiplied by 1000 in float32 and truncated to an int."""
    return int(np.float32(value) * np.float32(1000))


def ffmpeg_grey_levels(lut: np.ndarray) -> np.ndarray:
    """What ffmpeg's ``histeq`` writes for a grey pixel ``r = g = b = v`` (its
    luma is ``v``) from the raw LUT: 0 for ``v = 0``; 255 where ``lut[v] > 255``
    (the ``max * lut / luma > 255`` branch); else ``v * lut[v] / v`` computed
    in 32-bit unsigned arithmetic (``lut[v]`` itself unless it is negative),
    stored as a byte."""
    levels = np.arange(lut.size, dtype=np.int64)
    divisor = np.maximum(levels, 1)
    scaled = ((levels * (lut % 2**32)) % 2**32) // divisor
    grey = np.where(lut > 255, 255, scaled) & 255
    grey[0] = 0
    return grey


def ffmpeg(
    counts: np.ndarray,
    binning: Binning,
    out_dtype: np.dtype,
    target: np.ndarray | None = None,
    *,
    strength: int,
    intensity: int,
) -> np.ndarray | None:
    """ffmpeg's ``histeq`` filter (antibanding none) on grey pixels: the LUT of
    the histogram of the levels (a grey pixel's luma is its level), as the
    filter writes grey pixels (:func:`ffmpeg_grey_levels`)."""
    counts = _level_counts(counts, binning, out_dtype, "ffmpeg")
    if not counts.any():
        return None
    return ffmpeg_grey_levels(ffmpeg_lut(counts, strength, intensity)).astype(out_dtype)


def _c_divide(numerator: np.ndarray, denominator: int) -> np.ndarray:
    # C's integer division of int64 values by a positive int: toward zero.
    return np.sign(numerator) * (np.abs(numerator) // denominator)
