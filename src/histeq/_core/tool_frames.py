"""The image tools' own handling of colour images, where it is not each
channel on its own: one histogram of an intensity, one map for red, green
and blue (``Method.frames`` of ``"imagemagick"``, ``"imagej"`` and
``"imagej-classic"``; ffmpeg's filter is :mod:`.ffmpeg`).

- ImageMagick 6: its default channel setting includes "sync": it counts the
  Rec. 709 luma of every pixel's Q16 quanta, ``round(0.212656 R + 0.715158 G
  + 0.072186 B)`` (``GetPixelIntensity`` on sRGB, no gamma; summed in this
  order, rounded half up and clamped as ``ClampToQuantum``), into 65536 bins,
  and maps every sample through the equalization map of that histogram
  (:func:`histeq._core.peer_plans.magick_quanta`). uint8 samples are the
  quanta ``257 v``, written back as ``quantum // 257``.
- ImageJ: an RGB image (``ColorProcessor``) counts
  ``(int) (r / 3 + g / 3 + b / 3 + 0.5)`` (its unweighted default, the
  weights the double nearest 1/3) and applies the equalization LUT of those
  counts to red, green and blue.
"""

from __future__ import annotations

import numpy as np

from .colour_modes import spatial_mask
from .peer_plans import MAGICK_TOP, imagej_lut, magick_quanta

#: ImageMagick's Rec. 709 luma weights.
LUMA = (0.212656, 0.715158, 0.072186)
#: ImageJ's default (unweighted) RGB -> grey weights.
THIRD = 1.0 / 3.0


def magick_colour(
    image: np.ndarray,
    axis: int | None,
    mask: np.ndarray | None,
    result: np.ndarray | None,
    channel_order: str,
    keep_alpha: bool,
) -> np.ndarray | None:
    """``convert in.png -equalize out.png`` of an RGB uint8/uint16 image with
    ``axis`` holding red, green and blue (in ``channel_order``; a 4th sample
    with ``keep_alpha``, copied, where ImageMagick would remap it too), or
    None for grey images (the plan gives the same). ``mask`` (from
    ``check_mask``, alike in every channel): the pixels counted; every pixel
    is mapped. Writes into ``result`` if given.

    Memory: the output, and a float64 and an int64 plane of the pixels'
    intensities (16 bytes a pixel) while counting.
    """
    if axis is None:
        return None
    frame = _colour_frame(image, axis, channel_order, keep_alpha, "imagemagick")
    red, green, blue = (0, 1, 2) if channel_order == "rgb" else (2, 1, 0)
    scale = 257.0 if image.dtype == np.uint8 else 1.0
    intensity = LUMA[0] * (scale * frame[..., red]) + LUMA[1] * (scale * frame[..., green])
    intensity += LUMA[2] * (scale * frame[..., blue])
    bins = np.where(intensity >= MAGICK_TOP, MAGICK_TOP, np.trunc(np.maximum(intensity, 0.0) + 0.5)).astype(np.int64)
    bins[~(intensity > 0.0)] = 0
    selected = bins if mask is None else bins[spatial_mask(mask, axis)]
    quanta = magick_quanta(np.bincount(selected.reshape(-1), minlength=MAGICK_TOP + 1))
    if quanta is None:  # every counted pixel black: ImageMagick leaves the image alone
        return _write(image, axis, frame, result, None)
    levels = np.arange(np.iinfo(image.dtype).max + 1)
    lut = (quanta[257 * levels] // 257 if image.dtype == np.uint8 else quanta).astype(image.dtype)
    return _write(image, axis, frame, result, lut)


def imagej_colour(
    image: np.ndarray,
    axis: int | None,
    mask: np.ndarray | None,
    result: np.ndarray | None,
    channel_order: str,
    keep_alpha: bool,
    *,
    classic: bool,
) -> np.ndarray | None:
    """ImageJ's Enhance Contrast > Equalize of an RGB uint8 image (a
    ``ColorProcessor``) with ``axis`` holding red, green and blue (a 4th
    sample with ``keep_alpha``, copied), or None where the plan gives
    ImageJ's result (grey images; 16-bit colour, whose channels ImageJ keeps
    as separate 16-bit images, each equalized alone). ``mask``: the pixels
    counted. Memory: the output and a float64 and an int64 plane of the
    pixels' grey values."""
    if axis is None or image.dtype != np.uint8:
        return None
    frame = _colour_frame(image, axis, channel_order, keep_alpha, "imagej")
    red, green, blue = (0, 1, 2) if channel_order == "rgb" else (2, 1, 0)
    grey = frame[..., red] * THIRD + frame[..., green] * THIRD + frame[..., blue] * THIRD
    levels = (grey + 0.5).astype(np.int64)
    selected = levels if mask is None else levels[spatial_mask(mask, axis)]
    lut = imagej_lut(np.bincount(selected.reshape(-1), minlength=256), np.dtype(np.uint8), classic=classic)
    return _write(image, axis, frame, result, lut)


def _colour_frame(image: np.ndarray, axis: int, channel_order: str, keep_alpha: bool, method: str) -> np.ndarray:
    # The image with its samples last, checked: red, green, blue (and alpha).
    if channel_order not in ("rgb", "bgr"):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr'; got {channel_order!r}")
    if not isinstance(keep_alpha, (bool, np.bool_)):
        raise TypeError(f"keep_alpha must be True or False; got {keep_alpha!r}")
    frame = np.moveaxis(image, axis, -1)
    if frame.shape[-1] - int(keep_alpha) != 3:
        raise ValueError(
            f"method {method!r} equalizes colour images as the tool does, through one histogram of an intensity: "
            f"channel_axis must hold 3 samples (red, green, blue; 4 with keep_alpha=True); got {frame.shape[-1]} "
            "(color='channels' equalizes each channel on its own)"
        )
    return frame


def _write(
    image: np.ndarray, axis: int, frame: np.ndarray, result: np.ndarray | None, lut: np.ndarray | None
) -> np.ndarray:
    # Red, green and blue through lut (None: as they are), alpha copied, into result or a new array.
    if result is None:
        result = np.empty_like(image)
    target = np.moveaxis(result, axis, -1)
    target[..., :3] = frame[..., :3] if lut is None else lut[frame[..., :3]]
    target[..., 3:] = frame[..., 3:]
    return result
