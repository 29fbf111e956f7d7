"""ImageMagick 6's ``-equalize`` of colour images as it runs by default: one
histogram of the pixels' intensity, one map for red, green and blue.

Its default channel setting includes "sync": ImageMagick counts the Rec. 709
luma of every pixel's Q16 quanta, ``round(0.212656 R + 0.715158 G + 0.072186 B)``
(``GetPixelIntensity`` on sRGB, no gamma; summed in this order, rounded half
up and clamped as ``ClampToQuantum``), into 65536 bins, and maps every sample
through the equalization map of that histogram
(:func:`histeq._core.peer_plans.magick_quanta`). uint8 samples are the
quanta ``257 v``, written back as ``quantum // 257``.
"""

from __future__ import annotations

import numpy as np

from .colour_modes import spatial_mask
from .peer_plans import MAGICK_TOP, magick_quanta

#: ImageMagick's Rec. 709 luma weights.
LUMA = (0.212656, 0.715158, 0.072186)


def equalize_sync(
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
    if channel_order not in ("rgb", "bgr"):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr'; got {channel_order!r}")
    if not isinstance(keep_alpha, (bool, np.bool_)):
        raise TypeError(f"keep_alpha must be True or False; got {keep_alpha!r}")
    frame = np.moveaxis(image, axis, -1)
    if frame.shape[-1] - int(keep_alpha) != 3:
        raise ValueError(
            "method 'imagemagick' equalizes colour images as ImageMagick does, through one intensity histogram: "
            f"channel_axis must hold 3 samples (red, green, blue; 4 with keep_alpha=True); got {frame.shape[-1]} "
            "(color='channels' equalizes each channel on its own, as -channel RGB)"
        )
    red, green, blue = (0, 1, 2) if channel_order == "rgb" else (2, 1, 0)
    scale = 257.0 if image.dtype == np.uint8 else 1.0
    intensity = LUMA[0] * (scale * frame[..., red]) + LUMA[1] * (scale * frame[..., green])
    intensity += LUMA[2] * (scale * frame[..., blue])
    bins = np.where(intensity >= MAGICK_TOP, MAGICK_TOP, np.trunc(np.maximum(intensity, 0.0) + 0.5)).astype(np.int64)
    bins[~(intensity > 0.0)] = 0
    selected = bins if mask is None else bins[spatial_mask(mask, axis)]
    quanta = magick_quanta(np.bincount(selected.reshape(-1), minlength=MAGICK_TOP + 1))
    if result is None:
        result = np.empty_like(image)
    target = np.moveaxis(result, axis, -1)
    if quanta is None:  # every counted pixel black: ImageMagick leaves the image alone
        target[...] = frame
        return result
    levels = np.arange(np.iinfo(image.dtype).max + 1)
    lut = (quanta[257 * levels] // 257 if image.dtype == np.uint8 else quanta).astype(image.dtype)
    target[..., :3] = lut[frame[..., :3]]
    target[..., 3:] = frame[..., 3:]
    return result
