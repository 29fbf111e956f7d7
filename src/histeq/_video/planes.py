"""A frame taken apart into the grey planes an operation processes, and put
back: the ``channel_axis`` and ``color=`` handling of :func:`histeq.equalize`
and :func:`histeq.clahe` (:func:`histeq._core.colour_modes.run`), as two
steps, so that the planes can be counted, smoothed and planned in between.

Every frame of a stream gives the same planes (same shapes and dtypes), so a
plane's position in :attr:`Split.planes` names its histograms from frame to
frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._core.colour_modes import ColourMode, spatial_mask
from .._core.colour_spaces import skimage_hsv_split, split_luminance
from .._core.layout import channel_planes


@dataclass
class Split:
    """One frame's planes, where their results go, and how the frame's result
    is put together once every target is written.

    Attributes
    ----------
    planes : list of (ndarray, ndarray of bool or None)
        The grey planes and their masks.
    targets : list of ndarray
        Where each plane's result goes: views into ``result``, or buffers.
    result : ndarray
        The frame's result (valid after :meth:`finish`).
    """

    planes: list[tuple[np.ndarray, np.ndarray | None]]
    targets: list[np.ndarray]
    result: np.ndarray
    _finish: Callable[[], None] | None = None

    def finish(self) -> np.ndarray:
        """Put the frame's result together (luminance merged, alpha copied)."""
        if self._finish is not None:
            self._finish()
        return self.result


@dataclass(frozen=True)
class Layout:
    """How frames are split: ``axis`` the checked channel axis (or None),
    ``colour`` the checked ``color=`` request (None: per channel, or the
    whole frame), ``skimage_hsv``: scikit-image's RGB CLAHE (V from
    ``rgb2hsv``, float64 RGB out)."""

    axis: int | None
    colour: ColourMode | None
    skimage_hsv: bool = False

    def split(self, frame: np.ndarray, mask: np.ndarray | None, result: np.ndarray) -> Split:
        """The planes of ``frame`` (``mask``: checked, of the frame's shape),
        with targets in (or merged into) ``result``."""
        colour = self.colour
        if colour is None:
            if self.axis is None:
                return Split([(frame, mask)], [result], result)
            masks = [None] * frame.shape[self.axis] if mask is None else channel_planes(mask, self.axis)
            return Split(list(zip(channel_planes(frame, self.axis), masks)), channel_planes(result, self.axis), result)
        view = np.moveaxis(frame, colour.axis, -1)
        result_view = np.moveaxis(result, colour.axis, -1)
        colours = view[..., : colour.colours]

        def copy_alpha() -> None:
            result_view[..., colour.colours :] = view[..., colour.colours :]

        if self.skimage_hsv:
            value, hsv = skimage_hsv_split(view)
            target = np.empty_like(value)

            def merge_hsv() -> None:
                result_view[...] = hsv.merge(target)

            return Split([(value, None)], [target], result, merge_hsv)
        if colour.luminance:
            luminance = split_luminance(colours, colour.mode, order=colour.order)
            target = np.empty_like(luminance.plane)

            def merge() -> None:
                luminance.merge(target, result_view[..., : colour.colours])
                copy_alpha()

            return Split([(luminance.plane, spatial_mask(mask, colour.axis))], [target], result, merge)
        if colour.mode == "joint":
            pixels = spatial_mask(mask, colour.axis)
            joint_mask = None if pixels is None else np.broadcast_to(pixels[..., None], colours.shape)
            return Split([(colours, joint_mask)], [result_view[..., : colour.colours]], result, copy_alpha)
        masks = [None] * colour.colours
        if mask is not None:
            masks = list(np.moveaxis(np.moveaxis(mask, colour.axis, -1)[..., : colour.colours], -1, 0))
        planes = [(colours[..., c], masks[c]) for c in range(colour.colours)]
        return Split(planes, [result_view[..., c] for c in range(colour.colours)], result, copy_alpha)
