"""``histeq.local_equalize``: libvips' ``hist_local``, sliding-window equalization."""

from __future__ import annotations

import operator
from typing import SupportsIndex, cast

import numpy as np

from ._core.colour_modes import check_colour_mode
from ._core.colour_modes import run as run_colour_mode
from ._core.layout import unshared
from ._core.validate import as_image, check_channel_axis, check_out, unmask
from .backends import kernels
from .backends._threads import run_chunks

#: libvips' largest max_slope.
MAX_SLOPE = 100
#: Output columns per task (a strip's column histograms stay in the core's cache).
STRIP = 256


def local_equalize(
    image: np.ndarray,
    *,
    window: int | tuple[int, int],
    max_slope: int = 0,
    channel_axis: int | None = None,
    out: np.ndarray | None = None,
    color: str | None = None,
    channel_order: str = "rgb",
    keep_alpha: bool = False,
) -> np.ndarray:
    """Equalize every pixel by the histogram of the window around it (libvips' ``hist_local``).

    Bit-identical to libvips' ``hist_local`` (``vips hist_local in out width
    height --max-slope m``, pyvips' ``image.hist_local(width, height,
    max_slope=m)``) with ``window=(height, width)``: no tiles and no
    interpolation; each pixel gets the cumulative count of its own window.
    For the window ``hist`` of pixel ``(y, x)`` (rows ``y - h // 2 ..
    y - h // 2 + h - 1``, columns alike, the image mirrored past its edges
    with the edge pixel repeated) and its level ``t``::

        out = 255 * sum // (h * w)
        sum = hist[0] + ... + hist[t]                                   (max_slope 0)
        sum = sum(min(hist[i], m) for i <= t)
              + (t + 1) * sum(max(hist[i] - m, 0) for all i) // 256      (max_slope m > 0)

    Parameters
    ----------
    image : ndarray of uint8, 2-D ``(H, W)``, or 3-D with ``channel_axis``
        Not modified (unless it is ``out``). A ``numpy.ma.MaskedArray`` has
        every pixel processed and gives a MaskedArray with a copy of its
        mask (libvips has no masks: every pixel counts).
    window : int or (int, int)
        The window's ``(height, width)`` (an int: a square), each from 1 to
        the image's size along that axis (libvips refuses larger windows).
        Even sizes reach one pixel further up and left than down and right.
    max_slope : int, default 0
        Contrast limit, 0 to 100 as libvips takes it: 0 counts plainly;
        ``m > 0`` clips every bin of the window's histogram at ``m`` pixels
        and spreads what was clipped evenly over the 256 levels.
    channel_axis : int, optional
        Each channel on its own (libvips processes every band alike).
    out : ndarray of uint8, optional
        Where to write: ``image``'s shape. May be ``image`` itself or
        overlap it (then ``image`` is copied first). Returned when given.
    color : {"channels", "ycrcb", "lab", "hsv"}, optional
        With ``channel_axis``: each channel (default), or the luminance of a
        colour space (as :func:`histeq.equalize`), the other samples
        recomputed from it; ``channel_order`` and ``keep_alpha`` as there.
        libvips' own colour behaviour is ``"channels"``.
    channel_order : {"rgb", "bgr"}
    keep_alpha : bool

    Returns
    -------
    ndarray of uint8
        ``image``'s shape.

    Raises
    ------
    TypeError, ValueError
        For images that are not uint8, not 2-D (3-D with ``channel_axis``),
        windows outside ``1 .. size``, ``max_slope`` outside 0..100, and
        bad ``channel_axis``/``out``/``color`` arguments.

    Notes
    -----
    libvips computes ``255 * sum`` in a 32-bit int, which overflows for
    windows of more than 8,421,504 pixels; histeq's result there is the
    exact formula above.

    The window's histogram slides: one histogram per column of the window's
    rows moves down one row at a time, and along a row the window adds the
    entering column and takes out the leaving one, in 16 coarse bins of 16
    levels (the fine bins of a coarse bin only when a pixel needs them).
    Work is spread over the threads in strips of 256 columns times bands of
    rows.

    Memory: the output, a mirrored copy of each channel (``(H + h - 1) x
    (W + w)`` bytes) while it is processed, and per thread the strip's
    column histograms (``(256 + w - 1) x 1088`` bytes: 311 KB for a 31-pixel
    window).
    """
    data, masked = unmask(image)
    image = as_image(data)
    if image.dtype != np.uint8:
        raise TypeError(f"local_equalize reproduces libvips' hist_local, which takes uint8 images; got {image.dtype}")
    axis = check_channel_axis(channel_axis, image.ndim)
    plane_shape = image.shape if axis is None else image.shape[:axis] + image.shape[axis + 1 :]
    if len(plane_shape) != 2:
        what = "3-D with channel_axis" if axis is not None else "2-D (or 3-D with channel_axis)"
        raise ValueError(f"local_equalize takes {what} images; got shape {image.shape}")
    height, width = _check_window(window, plane_shape)
    slope = _check_max_slope(max_slope)
    result = check_out(out, image.shape, np.dtype(np.uint8))
    if result is not None:
        image = unshared(image, result)
    colour = check_colour_mode(color, channel_order, keep_alpha, axis, image.shape)
    if colour is not None:
        if colour.mode == "joint":
            raise ValueError("color='joint' pools the channels' histograms; local_equalize has one window per pixel")
        coloured = run_colour_mode(
            image,
            colour,
            None,
            result,
            lambda plane, _: local_equalize(plane, window=(height, width), max_slope=slope),
            lambda colours, _: local_equalize(colours, window=(height, width), max_slope=slope, channel_axis=-1),
        )
        return coloured if masked is None or out is not None else masked.wrap(coloured, image)
    if result is None:
        result = np.empty_like(image)
    if axis is None:
        _equalize_plane(image, result, height, width, slope)
    else:
        for channel in range(image.shape[axis]):
            source = np.moveaxis(image, axis, 0)[channel]
            target = np.moveaxis(result, axis, 0)[channel]
            _equalize_plane(source, target, height, width, slope)
    if out is not None:
        return out
    return result if masked is None else masked.wrap(result, image)


def _equalize_plane(plane: np.ndarray, target: np.ndarray, height: int, width: int, max_slope: int) -> None:
    # One 2-D uint8 plane into target (any strides), on all threads.
    top, left = height // 2, width // 2
    padded = np.pad(plane, ((top, height - 1 - top), (left, width - left)), mode="symmetric")
    levels = (255 * np.arange(height * width + 1, dtype=np.int64) // (height * width)).astype(np.uint8)
    rows, cols = plane.shape
    band = max(128, 4 * height)
    strips = -(-cols // STRIP)
    tasks = strips * -(-rows // band)
    kernel = kernels(plane).local_hist.equalize_tasks
    run_chunks(kernel, tasks, padded, target, height, width, max_slope, levels, STRIP, band, strips, grain=STRIP * band)


def _check_window(window: object, shape: tuple[int, ...]) -> tuple[int, int]:
    # (height, width) from an int or a pair of ints, each in 1 .. the plane's size.
    sizes = window if isinstance(window, (tuple, list)) else (window, window)
    if len(sizes) != 2:
        raise ValueError(f"window must be an int or (height, width); got {window!r}")
    checked = []
    for size, extent, name in zip(sizes, shape, ("height", "width")):
        if isinstance(size, (bool, np.bool_)):
            raise TypeError(f"window must hold integers; got {window!r}")
        try:
            value = operator.index(cast(SupportsIndex, size))
        except TypeError:
            raise TypeError(f"window must hold integers; got {window!r}") from None
        if not 1 <= value <= extent:
            raise ValueError(f"window {name} must be between 1 and the image's {name} {extent}; got {value}")
        checked.append(value)
    return checked[0], checked[1]


def _check_max_slope(max_slope: object) -> int:
    # An int in 0 .. MAX_SLOPE, as libvips takes it.
    if isinstance(max_slope, (bool, np.bool_)):
        raise TypeError(f"max_slope must be an integer; got {max_slope!r}")
    try:
        value = operator.index(cast(SupportsIndex, max_slope))
    except TypeError:
        raise TypeError(f"max_slope must be an integer from 0 to {MAX_SLOPE}; got {max_slope!r}") from None
    if not 0 <= value <= MAX_SLOPE:
        raise ValueError(f"max_slope must be between 0 and {MAX_SLOPE} (libvips' range); got {value}")
    return value
