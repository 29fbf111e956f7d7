"""ffmpeg's ``histeq`` filter: its options, and whole frames.

``equalize(method="ffmpeg")`` takes the filter's options in ffmpeg's own
syntax: ``"ffmpeg"`` (its defaults) or ``"ffmpeg:strength=0.3:intensity=0.5"``,
``"ffmpeg:0.3:0.5:weak"`` (the filter's shorthand order), as in ``-vf
histeq=...``. Grey images without antibanding are a plain count -> LUT plan
(:func:`histeq._core.peer_plans.ffmpeg`); RGB frames (``channel_axis``) and
antibanding are :func:`equalize_frames`: one luma histogram per call, every
pixel's red, green and blue scaled by ``lut[luma] / luma``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backends import kernels
from ..backends._threads import run_chunks
from .colour_modes import spatial_mask
from .methods import FFMPEG
from .peer_plans import ffmpeg_lut, ffmpeg_permille

#: The filter's antibanding levels.
ANTIBANDING = ("none", "weak", "strong")
_OPTION_NAMES = ("strength", "intensity", "antibanding")


@dataclass(frozen=True)
class FFmpegOptions:
    """The options of ffmpeg's ``histeq`` filter (its defaults)."""

    strength: float = 0.2
    intensity: float = 0.21
    antibanding: str = "none"

    @property
    def strength_permille(self) -> int:
        return ffmpeg_permille(self.strength)

    @property
    def intensity_permille(self) -> int:
        return ffmpeg_permille(self.intensity)


def parse_ffmpeg(spec: str) -> FFmpegOptions:
    """The options of ``"ffmpeg"`` or ``"ffmpeg:OPTIONS"``, ``OPTIONS`` as
    ffmpeg's filter takes them: ``name=value`` pairs or values in the order
    strength, intensity, antibanding, separated by ``:``. Raises ValueError
    naming ``method`` for anything ffmpeg would refuse."""
    values: dict[str, str] = {}
    head, colon, rest = spec.partition(":")
    if head != FFMPEG or (colon and not rest):
        raise ValueError(f"method {spec!r}: expected 'ffmpeg' or 'ffmpeg:strength=S:intensity=I:antibanding=A'")
    named = False
    for position, item in enumerate(rest.split(":") if rest else []):
        name, equals, value = item.partition("=")
        named = named or bool(equals)
        if not equals:
            if position >= len(_OPTION_NAMES) or named:
                raise ValueError(f"method {spec!r}: option {item!r} needs a name (strength, intensity, antibanding)")
            name, value = _OPTION_NAMES[position], item
        if name not in _OPTION_NAMES or name in values:
            raise ValueError(f"method {spec!r}: unknown or repeated option {name!r} (strength, intensity, antibanding)")
        values[name] = value
    antibanding = values.get("antibanding", "none")
    if antibanding in ("0", "1", "2"):
        antibanding = ANTIBANDING[int(antibanding)]
    if antibanding not in ANTIBANDING:
        raise ValueError(f"method {spec!r}: antibanding must be one of {', '.join(ANTIBANDING)}; got {antibanding!r}")
    levels = {name: _fraction(spec, name, values[name]) for name in ("strength", "intensity") if name in values}
    return FFmpegOptions(antibanding=antibanding, **levels)


def _fraction(spec: str, name: str, text: str) -> float:
    # A strength or intensity: a number in [0, 1], as ffmpeg checks it.
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"method {spec!r}: {name} must be a number in [0, 1]; got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"method {spec!r}: {name} must be in [0, 1]; got {value}")
    return value


def equalize_frames(
    image: np.ndarray,
    axis: int | None,
    mask: np.ndarray | None,
    result: np.ndarray | None,
    channel_order: str,
    keep_alpha: bool,
    options: FFmpegOptions,
) -> np.ndarray | None:
    """The filter on a uint8 image as ffmpeg runs it on frames, or None where
    the grey plan gives the same (grey images without antibanding).

    ``image``: grey (``axis`` None) or with ``axis`` holding 3 samples (red,
    green, blue in ``channel_order``) or 1 (grey), one more with
    ``keep_alpha`` (copied). ``mask`` (from ``check_mask``, alike in every
    channel): the pixels counted; every pixel is mapped. Writes into
    ``result`` if given. Memory: the output; copies of the image (and of the
    output) only where the pixels are not one strided 2-D view.
    """
    if channel_order not in ("rgb", "bgr"):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr'; got {channel_order!r}")
    if not isinstance(keep_alpha, (bool, np.bool_)):
        raise TypeError(f"keep_alpha must be True or False; got {keep_alpha!r}")
    if axis is None and options.antibanding == "none" and not keep_alpha:
        return None
    if axis is None and keep_alpha:
        raise ValueError("keep_alpha needs channel_axis: the axis of the colour samples (colour is never guessed)")
    frame = image[..., np.newaxis] if axis is None else np.moveaxis(image, axis, -1)
    samples = frame.shape[-1]
    colours = samples - int(keep_alpha)
    if colours not in (1, 3):
        raise ValueError(
            "method 'ffmpeg' equalizes RGB frames: channel_axis must hold 3 samples (red, green, blue) or 1 "
            f"(grey), and one more (alpha) with keep_alpha=True; got {samples}"
        )
    red, green, blue = (0, 0, 0) if colours == 1 else (2, 1, 0) if channel_order == "bgr" else (0, 1, 2)
    pixels = np.ascontiguousarray(frame.reshape(-1, samples))  # a view of contiguous frames
    if result is None:
        result = np.empty_like(image)
    target_frame = result[..., np.newaxis] if axis is None else np.moveaxis(result, axis, -1)
    try:
        target = target_frame.reshape(-1, samples, copy=False)
        buffered = not target.flags.c_contiguous
    except ValueError:  # not one strided view
        buffered = True
    if buffered:  # work in a contiguous buffer, copied back at the end
        target = np.empty_like(pixels)
    selected = np.empty(0, np.bool_)
    if mask is not None:
        pixel_mask = mask if axis is None else spatial_mask(mask, axis)
        assert pixel_mask is not None
        selected = pixel_mask.reshape(-1)
    cpu = kernels(image).ffmpeg_frames
    n = pixels.shape[0]
    line, target_line = pixels.reshape(-1), target.reshape(-1)
    offsets = (np.uint64(samples), np.uint64(red), np.uint64(green), np.uint64(blue))
    hists = run_chunks(cpu.count_luma, n, line, *offsets, selected, accumulator=lambda: np.zeros((4, 256), np.int64))
    counts = np.asarray(np.sum(hists, axis=(0, 1), dtype=np.int64))
    if not counts.any():  # an empty mask: nothing counted, pixels unchanged
        target[...] = pixels
    else:
        lut = ffmpeg_lut(counts, options.strength_permille, options.intensity_permille)
        if options.antibanding == "none":
            run_chunks(cpu.apply_frames, n, line, *offsets, *cpu.frame_tables(lut), target_line)
        else:
            cpu.apply_dithered(pixels, red, green, blue, lut, options.antibanding == "weak", target)
        if keep_alpha:
            target[:, -1] = pixels[:, -1]
    if buffered:
        target_frame[...] = target.reshape(target_frame.shape)
    return result
