"""``color=`` modes: how an operation treats the colour samples along ``channel_axis``.

- ``"channels"`` (default): each channel on its own (the operation's own
  ``channel_axis`` handling); with ``keep_alpha`` a last channel of 2 or 4 is
  alpha and comes back as it was.
- ``"joint"``: one histogram pooled over the colour channels and one mapping
  for all of them (scikit-image's ``equalize_hist`` on an RGB array); with 2 or
  4 channels and ``keep_alpha`` the last one is alpha.
- ``"ycrcb"``, ``"lab"``, ``"hsv"``: the luminance (Y, L*, V) is taken out
  (:mod:`.colour_spaces`), processed as a grey image and put back; a 4th
  channel is alpha and comes back byte-identical.

Every mode reduces to the operation on a grey plane or on channels, so it is a
new way of producing counts and applying LUTs, not a new algorithm: the
operation passes a callable that processes a grey image (``grey``) and one
that processes channels (``per_channel``), and :func:`run` does the rest.
Extra memory: the luminance plane and its processed copy (the image's dtype;
uint16 for 16-bit Lab), nothing else of image size.

An operation that is one LUT made from the luminance's histogram (equalize's
default method, no mask) takes :func:`run_lut` first: uint8 ``"ycrcb"`` and
``"lab"`` in two passes (:func:`.colour_spaces.count_luminance`), the same
result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .colour_spaces import CHANNEL_ORDERS, LUMINANCE_SPACES, LUT_SPACES, count_luminance, split_luminance
from .validate import check_choice

#: The ``color=`` values.
COLOR_MODES = ("channels", "joint", *LUMINANCE_SPACES)

#: A grey operation: (image, mask or None) -> result of the image's shape.
GreyOperation = Callable[[np.ndarray, "np.ndarray | None"], np.ndarray]
#: A plan from a histogram: 256 int64 counts of uint8 levels -> uint8 LUT (None: no change).
BytePlan = Callable[[np.ndarray], "np.ndarray | None"]


@dataclass(frozen=True)
class ColourMode:
    """A checked ``color=`` request for an image whose colour lies along ``axis``."""

    mode: str
    order: str
    axis: int
    colours: int  # leading samples that are colour; the rest (0 or 1) is alpha
    has_alpha: bool = False
    count_transparent: bool = True

    @property
    def luminance(self) -> bool:
        return self.mode in LUMINANCE_SPACES


def check_colour_mode(
    color: object,
    channel_order: object,
    keep_alpha: object,
    axis: int | None,
    shape: tuple[int, ...],
    count_transparent: object = False,
) -> ColourMode | None:
    """Check ``color``, ``channel_order``, ``keep_alpha`` and
    ``count_transparent`` against the image.

    Returns None for the default per-channel processing without alpha (the
    operation's own path), else the request. ``axis`` is the checked
    ``channel_axis`` (non-negative) or None.
    """
    mode = check_choice("color", "channels" if color is None else color, COLOR_MODES)
    order = check_choice("channel_order", channel_order, CHANNEL_ORDERS)
    for name, value in (("keep_alpha", keep_alpha), ("count_transparent", count_transparent)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False; got {value!r}")
    counted = bool(count_transparent)
    if mode == "channels" and not keep_alpha and order == "rgb":
        return None
    if mode in ("channels", "joint") and order != "rgb":
        raise ValueError(
            f"channel_order applies to the colour spaces {', '.join(map(repr, LUMINANCE_SPACES))}; "
            f"color={mode!r} treats channels alike"
        )
    if axis is None:
        what = "keep_alpha" if mode == "channels" else f"color={mode!r}"
        raise ValueError(f"{what} needs channel_axis: the axis of the colour samples (colour is never guessed)")
    samples = shape[axis]
    if mode in LUMINANCE_SPACES:
        if samples not in (3, 4):
            raise ValueError(
                f"color={mode!r} needs 3 (RGB) or 4 (RGBA) samples along channel_axis {axis}; got {samples}"
            )
        return ColourMode(mode, order, axis, 3, samples == 4, counted)
    if keep_alpha:
        if samples not in (2, 4):
            raise ValueError(
                f"keep_alpha needs 2 (grey+alpha) or 4 (RGBA) samples along channel_axis {axis}; got {samples}"
            )
        return ColourMode(mode, order, axis, samples - 1, True, counted)
    return ColourMode(mode, order, axis, samples)


def visible(image: np.ndarray, axis: int, request: ColourMode, mask: np.ndarray | None) -> np.ndarray | None:
    """The pixels to count of an image whose colour lies along ``axis``:
    ``mask`` (checked, the image's shape, or None) and, unless the request
    counts transparent pixels, only pixels whose alpha is above 0. Returns
    ``mask`` itself when no pixel is transparent; else a boolean array of the
    image's shape (the alpha test, one byte per pixel, broadcast over the
    channels)."""
    if not request.has_alpha or request.count_transparent:
        return mask
    shown = np.moveaxis(image, axis, -1)[..., -1] > 0
    if shown.all():
        return mask
    pixels = np.broadcast_to(np.expand_dims(shown, axis), image.shape)
    return pixels if mask is None else mask & pixels


def spatial_mask(mask: np.ndarray | None, axis: int) -> np.ndarray | None:
    """A checked mask (broadcast to the image's shape by ``check_mask``) as a
    mask of the pixel grid: the first channel's. A mask that differs between
    channels cannot select luminance pixels: ValueError."""
    if mask is None:
        return None
    channels = np.moveaxis(mask, axis, -1)
    first = channels[..., 0]
    if channels.strides[-1] != 0 and not (channels == first[..., None]).all():
        raise ValueError(
            "mask must select the same pixels in every channel for a colour space or color='joint' "
            "(give it the image's shape without the channel axis)"
        )
    return first


def run(
    image: np.ndarray,
    request: ColourMode,
    mask: np.ndarray | None,
    out: np.ndarray | None,
    grey: GreyOperation,
    per_channel: GreyOperation,
) -> np.ndarray:
    """Process ``image`` in the colour mode ``request``.

    ``grey(plane, plane_mask)`` processes a grey image (the luminance plane, or
    the colour channels together for ``"joint"``); ``per_channel(colours,
    mask)`` processes colour channels (last axis) each on its own. ``mask``:
    checked, of the image's shape. Alpha comes back as it was; the result has
    ``out``'s or a new array's memory, of the dtype the operation returns.
    """
    view = np.moveaxis(image, request.axis, -1)
    colours = view[..., : request.colours]
    if request.luminance:
        luminance = split_luminance(colours, request.mode, order=request.order)
        processed = grey(luminance.plane, spatial_mask(mask, request.axis))
        if processed.dtype != luminance.plane.dtype:
            raise ValueError(
                f"color={request.mode!r} needs a method that returns the luminance's dtype "
                f"{luminance.plane.dtype}; this one returns {processed.dtype}"
            )
        result = np.empty_like(image) if out is None else out
        luminance.merge(processed, np.moveaxis(result, request.axis, -1)[..., : request.colours])
    else:
        if request.mode == "joint":
            pixels = spatial_mask(mask, request.axis)
            channel_mask = None if pixels is None else np.broadcast_to(pixels[..., None], colours.shape)
            processed = grey(colours, channel_mask)
        else:
            channel_mask = None if mask is None else np.moveaxis(mask, request.axis, -1)[..., : request.colours]
            processed = per_channel(colours, channel_mask)
        if request.colours < view.shape[-1] and processed.dtype != image.dtype:
            raise ValueError(
                f"keep_alpha needs a method that returns the image's dtype {image.dtype}; this one returns "
                f"{processed.dtype}"
            )
        if request.colours == view.shape[-1]:
            result = np.moveaxis(processed, -1, request.axis)
            if out is not None:
                out[...] = result
                result = out
            return result
        result = np.empty_like(image) if out is None else out
        np.moveaxis(result, request.axis, -1)[..., : request.colours] = processed
    result_view = np.moveaxis(result, request.axis, -1)
    result_view[..., request.colours :] = view[..., request.colours :]
    return result


def run_lut(image: np.ndarray, request: ColourMode, out: np.ndarray, plan: BytePlan) -> np.ndarray | None:
    """:func:`run` for an operation that maps the luminance through
    ``plan(counts)``, the LUT of its histogram, on every pixel (no mask).

    uint8 ``"ycrcb"`` and ``"lab"`` requests whose ``out`` (an ndarray of the
    image's shape and dtype, or the image) holds rows of interleaved
    samples: two passes over the pixels (:func:`.colour_spaces.count_luminance`),
    alpha copied; returns ``out``. Anything else: None, before any work (the
    caller runs :func:`run`). The result is :func:`run`'s with ``grey`` = the
    same plan on the plane.
    """
    if request.mode not in LUT_SPACES or image.dtype != np.uint8:
        return None
    last = request.axis == image.ndim - 1
    view = image if last else np.moveaxis(image, request.axis, -1)
    result_view = out if last else np.moveaxis(out, request.axis, -1)
    counted = count_luminance(view[..., :3], request.mode, result_view[..., :3], order=request.order)
    if counted is None:
        return None
    counted.map(plan(counted.counts))
    if request.colours < view.shape[-1]:
        result_view[..., request.colours :] = view[..., request.colours :]
    return out
