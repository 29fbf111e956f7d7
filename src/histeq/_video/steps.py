"""The operations of a video as two steps per grey plane: *count* (the
plane's histograms, one row per histogram) and *finish* (the plan from
histograms made anywhere, then the apply kernels), each the very code
:func:`histeq.equalize` and :func:`histeq.clahe` run on a still image.

:func:`equalize_setup` and :func:`clahe_setup` check the options against
the first frame, as the operation checks them against an image, and give
the :class:`Setup` every frame of the stream is processed with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from .._clahe.plane import MAX_CODED_BINS
from .._clahe.split import OpenCVTiles, SkimageTiles
from .._core.binning import binning_for, choose_binning
from .._core.colour_modes import ColourMode, check_colour_mode
from .._core.layout import line_pairs
from .._core.levels import is_integer, is_small_integer, skimage_float_dtype
from .._core.methods import CLAHE_METHODS, Method, equalize_method
from .._core.plan import build_plan
from .._core.targets import CLAHE_DISTRIBUTIONS, DEFAULT_ALPHA, check_target, default_levels, target_weights
from .._core.validate import (
    check_alpha,
    check_bit_shift,
    check_channel_axis,
    check_choice,
    check_clip_limit,
    check_mask,
    check_nbins,
    check_tile_grid,
)
from ..backends import kernels, small
from .planes import Layout
from .smoothing import Histograms

#: A plane's histograms and the step that finishes it from smoothed ones of
#: that binning.
Counted = tuple[Histograms, Callable[[Histograms], None]]

#: The options each operation takes (besides smoothing and scene_cut).
OPTIONS = {
    "equalize": ("method", "nbins", "mask", "channel_axis", "target", "color", "channel_order", "keep_alpha"),
    "clahe": (
        "clip_limit",
        "tile_grid",
        "method",
        "kernel_size",
        "nbins",
        "bit_shift",
        "distribution",
        "alpha",
        "channel_axis",
        "color",
        "channel_order",
        "keep_alpha",
    ),
}


class Step(Protocol):
    """An operation on one grey plane of every frame."""

    def count(self, plane: np.ndarray, mask: np.ndarray | None, target: np.ndarray) -> Counted: ...

    def run(self, plane: np.ndarray, mask: np.ndarray | None, target: np.ndarray, stream: Advance) -> bool: ...


class Advance(Protocol):
    """What a step that counts, plans and maps a plane in one kernel call
    asks the stream of frames (:class:`histeq._video.stream.FrameStream`)."""

    def advance_one(self, histograms: Histograms) -> Histograms:
        """The plane's histograms into the stream's state; the smoothed ones."""
        ...

    def advance_bytes(self, plane_lut: ModuleType, plane: np.ndarray, target: np.ndarray) -> None:
        """A uint8 plane under method "opencv" counted, smoothed, planned and mapped in compiled code."""
        ...


@dataclass(frozen=True)
class Setup:
    """How every frame of a stream is processed: its layout, the checked
    mask (the frame's shape, or None), the result's dtype, and a step for
    a plane (made from the first frame's planes)."""

    layout: Layout
    mask: np.ndarray | None
    dtype: np.dtype
    step: Callable[[np.ndarray], Step]


class EqualizeStep:
    """:func:`histeq.equalize` of a grey plane: counts over the plane's
    binning (its own range for floats, as equalize bins an image), the plan
    by :func:`histeq._core.plan.build_plan`, the binning's apply kernel."""

    def __init__(self, method: Method, nbins: int | None, weights: np.ndarray | None, dtype: np.dtype) -> None:
        self.method, self.weights, self.dtype = method, weights, dtype
        self.nbins = None if method.maps_values and is_integer(dtype) else nbins
        # 8/16-bit levels: bins fixed by the dtype, chosen once
        self.fixed = binning_for(dtype, None, None) if self.nbins is None and is_small_integer(dtype) else None
        # uint8 through a uint8 LUT: counted, planned and mapped in one kernel call (run)
        self.fused = (
            dtype == np.uint8 and self.fixed is not None and method.output_dtype(dtype) == np.uint8
        ) and not method.maps_values

    def count(self, plane: np.ndarray, mask: np.ndarray | None, target: np.ndarray) -> Counted:
        (pair,) = line_pairs(plane, mask, target, None)
        binning = self.fixed or choose_binning([(pair.source, pair.mask)], self.dtype, self.nbins, None)
        if self.method.maps_values:  # maps float values, not bins: no bin codes to keep
            counts, memo = binning.count(pair.source, pair.mask), None
        else:
            counts, memo = binning.count_for_lut(pair.source, pair.mask)

        def finish(smoothed: Histograms) -> None:
            plan = build_plan(self.method, smoothed.counts[0], binning, self.dtype, self.weights)
            plan.apply_line(pair.source, pair.target, memo)
            pair.finish()

        return Histograms(counts[None, :], 0, binning.nbins), finish

    def run(self, plane: np.ndarray, mask: np.ndarray | None, target: np.ndarray, stream: Advance) -> bool:
        """Count, smooth (``stream``), plan and map the plane in one kernel
        call (:mod:`histeq.backends.cpu.plane_lut`: one thread hand-over
        instead of two; method ``"opencv"`` with no Python between the
        passes) when it is a uint8 plane mapped through a uint8 LUT,
        unmasked, with rows of unit stride in ``plane`` and ``target``, on
        the compiled backend; False (nothing done) otherwise: then
        :meth:`count` and its finish do the same work."""
        rows = _byte_rows(plane, target) if self.fused and mask is None else None
        if rows is None:
            return False
        backend = kernels(plane)
        if backend is small:
            return False
        if self.method.name == "opencv" and self.weights is None:
            stream.advance_bytes(backend.plane_lut, *rows)
            return True
        binning = self.fixed
        assert binning is not None  # fused: uint8 levels

        def plan(counts: np.ndarray) -> np.ndarray | None:
            smoothed = stream.advance_one(Histograms(counts[None, :], 0, binning.nbins))
            return build_plan(self.method, smoothed.counts[0], binning, self.dtype, self.weights).lut

        backend.plane_lut.count_plan_map(*rows, plan)
        return True


def _byte_rows(plane: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    # ``plane`` and ``target`` as 2-D uint8 planes of rows of unit stride, one
    # after the other in memory (the same pixels in the same order), or None.
    if target.dtype != np.uint8 or target.shape != plane.shape or plane.size >= 1 << 32:
        return None
    if plane.flags.c_contiguous and target.flags.c_contiguous:
        return plane.reshape(1, -1), target.reshape(1, -1)
    if plane.ndim == 2 and _unit_rows(plane) and _unit_rows(target):  # e.g. a decoder's padded rows
        return plane, target
    return None


def _unit_rows(plane: np.ndarray) -> bool:
    return plane.strides[1] == 1 and plane.strides[0] >= plane.shape[1]


class TileStep:
    """:func:`histeq.clahe` of a grey plane: every tile's histogram, then
    the tile plan and blend (:mod:`histeq._clahe.split`)."""

    def __init__(self, tiles: OpenCVTiles | SkimageTiles) -> None:
        self.tiles = tiles

    def count(self, plane: np.ndarray, mask: np.ndarray | None, target: np.ndarray) -> Counted:
        counted = self.tiles.count(plane)
        return counted.histograms, lambda smoothed: self.tiles.apply(counted, smoothed, target)

    def run(self, plane: np.ndarray, mask: np.ndarray | None, target: np.ndarray, stream: Advance) -> bool:
        """Never fused: :meth:`count` and its finish."""
        return False


def equalize_setup(frame: np.ndarray, options: dict[str, Any]) -> Setup:
    """The options of :func:`histeq.equalize` checked against ``frame``."""
    target_argument = options.get("target")
    target = check_target(target_argument)
    method = options.get("method", "opencv")
    record = equalize_method(method, frame.dtype, target=target is not None)
    nbins = check_nbins(options.get("nbins"))
    axis = check_channel_axis(options.get("channel_axis"), frame.ndim)
    mask = check_mask(options.get("mask"), frame.shape, axis)
    colour = _colour(options, axis, frame.shape)
    result_dtype = record.output_dtype(frame.dtype)
    _check_colour_dtype(colour, result_dtype, frame)

    def step(plane: np.ndarray) -> Step:
        plane_record = equalize_method(method, plane.dtype, target=target is not None)
        plane_dtype = plane_record.output_dtype(plane.dtype)
        weights = None if target is None else target_weights(target, default_levels(plane_dtype))
        return EqualizeStep(plane_record, nbins, weights, plane.dtype)

    return Setup(Layout(axis, colour), mask, result_dtype, step)


def clahe_setup(frame: np.ndarray, options: dict[str, Any]) -> Setup:
    """The options of :func:`histeq.clahe` checked against ``frame``."""
    method = check_choice("method", options.get("method", "opencv"), CLAHE_METHODS)
    axis = check_channel_axis(options.get("channel_axis"), frame.ndim)
    spatial = frame.ndim - (axis is not None)
    if not 1 <= spatial <= 3:
        raise ValueError(
            f"clahe works on 1-D, 2-D and 3-D frames (plus a channel axis); got {spatial} spatial dimensions"
        )
    colour = _colour(options, axis, frame.shape)
    skimage_hsv = False
    if colour is not None and colour.mode == "joint":
        raise ValueError("color='joint' is not available for clahe: its tiles are spatial; use a colour space")
    clip = check_clip_limit(options.get("clip_limit"), CLAHE_METHODS[method].default_clip)
    nbins = check_nbins(options.get("nbins"))
    result_dtype = frame.dtype
    if method == "skimage":
        for name, default in (
            ("tile_grid", None),
            ("bit_shift", 0),
            ("distribution", "uniform"),
            ("alpha", DEFAULT_ALPHA),
        ):
            if options.get(name, default) != default:
                raise ValueError(f"{name} is not a parameter of method='skimage' (scikit-image has no such option)")
        if colour is not None and colour.luminance:
            if colour.mode != "hsv" or frame.shape[colour.axis] != 3 or colour.order != "rgb":
                raise ValueError(
                    "method='skimage' works in colour as scikit-image does: color='hsv' on RGB "
                    "(3 samples, channel_order='rgb'); use method='opencv' for other colour modes"
                )
            skimage_hsv, result_dtype = True, np.dtype(np.float64)
        else:
            result_dtype = skimage_float_dtype(frame.dtype)
        kernel_size = options.get("kernel_size")

        def skimage_step(plane: np.ndarray) -> Step:
            return TileStep(SkimageTiles(plane.shape, plane.dtype, kernel_size, clip, nbins or 256))

        if not skimage_hsv:
            _check_colour_dtype(colour, result_dtype, frame)
        return Setup(Layout(axis, colour, skimage_hsv), None, result_dtype, skimage_step)
    if options.get("kernel_size") is not None:
        raise ValueError("kernel_size is scikit-image's parameter (method='skimage'); use tile_grid")
    grid = check_tile_grid(options.get("tile_grid"), spatial, tuple(n for i, n in enumerate(frame.shape) if i != axis))
    shift = check_bit_shift(options.get("bit_shift", 0), frame.dtype)
    distribution = check_choice("distribution", options.get("distribution", "uniform"), CLAHE_DISTRIBUTIONS)
    alpha = check_alpha(options.get("alpha", DEFAULT_ALPHA))
    if is_small_integer(frame.dtype) and nbins is not None:
        raise ValueError(f"nbins applies to float and wide integer frames; {frame.dtype} frames use one bin per level")
    if nbins is not None and nbins > MAX_CODED_BINS:
        raise ValueError(f"nbins must be at most {MAX_CODED_BINS} for clahe; got {nbins}")

    def opencv_step(plane: np.ndarray) -> Step:
        return TileStep(OpenCVTiles(plane.shape, plane.dtype, clip, grid, shift, nbins, distribution, alpha))

    return Setup(Layout(axis, colour), None, result_dtype, opencv_step)


def _colour(options: dict[str, Any], axis: int | None, shape: tuple[int, ...]) -> ColourMode | None:
    return check_colour_mode(
        options.get("color"), options.get("channel_order", "rgb"), options.get("keep_alpha", False), axis, shape
    )


def _check_colour_dtype(colour: ColourMode | None, result: np.dtype, frame: np.ndarray) -> None:
    # A colour space, and alpha kept, need results of the frame's dtype.
    if colour is None or result == frame.dtype:
        return
    if colour.luminance or colour.colours < frame.shape[colour.axis]:
        what = f"color={colour.mode!r}" if colour.luminance else "keep_alpha"
        raise ValueError(
            f"{what} needs a method that returns the frame's dtype {frame.dtype}; this one returns {result}"
        )
