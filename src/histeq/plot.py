"""Comparison figures: images side by side, each over its histogram and cdf (matplotlib).

matplotlib is imported inside the functions (and only its object-oriented
API with the Agg canvas: no pyplot, no window, no global state), so
``import histeq`` stays light and figures can be drawn from worker threads.
"""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from ._core.colour_modes import COLOR_MODES
from ._core.methods import EQUALIZE_METHODS
from .io import write_safely

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, FigureBase

#: The size of one panel (an image over its histogram), in pixels: width, height.
PANEL_SIZE = (320, 560)
#: Pixels per inch of the figures written.
FIGURE_DPI = 100
#: Display bins of the histograms.
DISPLAY_BINS = 256
#: The histogram axis ends a quarter above this quantile of the bin heights
#: when the tallest bin is more than twice as high: a spike (often at 0 or
#: the top) is cut off there, marked, instead of flattening every other bar.
HISTOGRAM_QUANTILE = 0.98
#: Line colours of colour channels (red, green, blue), and of a grey image.
_CHANNEL_COLOURS = ("tab:red", "tab:green", "tab:blue")
_GREY = "0.35"
#: The clip limit (OpenCV's meaning) of CLAHE in figures: ``histeq compare`` and the demo.
FIGURE_CLAHE_CLIP = 2.0
#: What a comparison can show: every equalization method, and CLAHE.
COMPARE_METHODS = (*EQUALIZE_METHODS, "clahe")
#: The formats a figure may be saved as, by suffix.
FIGURE_FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
#: The colour modes a comparison can show (the library's ``color=`` values).
COMPARE_COLORS = COLOR_MODES
#: The ``color=`` mode of colour images when none is named, per operation: a
#: luminance, since equalizing each channel on its own shifts hues. YCrCb's Y
#: (OpenCV users' idiom, bit-identical to cv2's round trip) for equalization,
#: matching and exact specification; Lab's L for CLAHE (the common CLAHE
#: recipe: it follows perceived lightness).
DEFAULT_COLORS = {"equalize": "ycrcb", "clahe": "lab", "match": "ycrcb", "exact": "ycrcb"}
#: ``method="skimage"`` returns floats, which the colour spaces cannot take
#: back (except CLAHE's HSV): it treats colour as scikit-image does instead:
#: ``equalize_hist(rgb)`` pools the channels, ``equalize_adapthist(rgb)``
#: equalizes HSV's V, ``match_histograms(..., channel_axis=-1)`` matches each
#: channel.
SKIMAGE_COLORS = {"equalize": "joint", "clahe": "hsv", "match": "channels"}

#: A panel of a comparison: its label, and the image, or why there is none
#: (the operation refused the image or the colour mode).
Panel = tuple[str, "np.ndarray | str"]


def default_color(operation: str, method: str) -> str:
    """The colour mode of colour images when none is named: what the command
    line uses without ``--color``, and ``histeq compare`` without ``--colors``.

    Parameters
    ----------
    operation : {"equalize", "clahe", "match", "exact"}
        The operation (the command line's command).
    method : str
        Its ``method=``.

    Returns
    -------
    str
        :data:`DEFAULT_COLORS` of the operation; with ``method="skimage"``,
        :data:`SKIMAGE_COLORS` of it.

    Examples
    --------
    >>> default_color("equalize", "opencv"), default_color("clahe", "opencv"), default_color("clahe", "skimage")
    ('ycrcb', 'lab', 'hsv')
    """
    if method == "skimage" and operation in SKIMAGE_COLORS:
        return SKIMAGE_COLORS[operation]
    return DEFAULT_COLORS[operation]


def compared_panels(
    image: np.ndarray,
    methods: Sequence[str] = COMPARE_METHODS,
    *,
    colour: bool = False,
    colors: Sequence[str] | None = None,
    clip_limit: float = FIGURE_CLAHE_CLIP,
    clahe_function: Callable[..., np.ndarray] | None = None,
) -> list[Panel]:
    """The panels of a comparison: the image, then its result by each method,
    in a row per colour mode.

    Parameters
    ----------
    image : ndarray
        Grey ``(H, W)`` (or a volume), or colour ``(H, W, 3)``; any dtype
        the methods take.
    methods : sequence of str
        Names from :data:`COMPARE_METHODS`: ``equalize`` methods, and
        ``"clahe"`` (OpenCV's algorithm, 8x8 tiles, ``clip_limit``).
    colour : bool, default False
        The last axis holds red, green and blue.
    colors : sequence of str, optional
        With ``colour``: the ``color=`` modes (:data:`COMPARE_COLORS`), one
        row each. None: one row, each method in its :func:`default_color`.
        Grey images have one row whatever is given.
    clip_limit : float
        CLAHE's clip limit, OpenCV's meaning.
    clahe_function : callable, optional
        Runs the ``"clahe"`` panel as
        ``clahe_function(image, clip_limit=..., channel_axis=..., color=...)``;
        default :func:`histeq.clahe` (the command line passes its own, which
        bins images deeper than 8 bits over their range).

    Returns
    -------
    list of (label, image or str)
        Row after row: ``("original", image)``, then ``(label, result)`` per
        method, results as the methods return them (``"skimage"``: floats in
        [0, 1]); the label is the method, and for colour images its colour
        mode too (``"opencv, ycrcb"``). Where the method refuses the image or
        the colour mode (``ValueError``, ``TypeError``), the library's message
        stands in for the result. Draw them in rows of ``len(methods) + 1``
        (:func:`comparison_figure`'s ``columns``).
    """
    from .clahe import clahe
    from .equalize import equalize

    run_clahe = clahe if clahe_function is None else clahe_function

    modes: list[str | None] = [None] if not colour or colors is None else list(dict.fromkeys(colors))
    panels: list[Panel] = []
    for color in modes:
        panels.append(("original", image))
        for method in methods:
            operation = "clahe" if method == "clahe" else "equalize"
            mode = (color or default_color(operation, method)) if colour else None
            channel_axis = None if mode is None else -1
            given = None if mode == "channels" else mode  # None: the operation's own per-channel path
            label = method if mode is None else f"{method}, {mode}"
            try:
                if method == "clahe":
                    result = run_clahe(image, clip_limit=clip_limit, channel_axis=channel_axis, color=given)
                else:
                    result = equalize(image, method=method, channel_axis=channel_axis, color=given)
            except (ValueError, TypeError) as exc:  # shown in its panel: the comparison goes on
                panels.append((label, str(exc)))
                continue
            panels.append((label, result))
    return panels


def comparison_figure(panels: Sequence[Panel], *, colour: bool = False, columns: int | None = None) -> Figure:
    """A figure with one column per image (in rows of ``columns``): the image over its histogram and cdf.

    Parameters
    ----------
    panels : sequence of (label, image or str)
        Images of any integer or float dtype: ``(H, W)`` grey, or with
        ``colour`` ``(H, W, 3)`` RGB; images with more spatial dimensions show
        their middle plane (histograms count every pixel). Integer 8/16-bit
        images are shown over their dtype's range, others over their finite
        values' range (floats within [0, 1]: over [0, 1]). NaN is not counted.
        A string instead of an image is written in its panel (why there is
        no image).
    colour : bool, default False
        The last axis holds red, green and blue: one histogram and cdf per
        channel.
    columns : int, optional
        Panels per row (rows of a grid, filled left to right); default: all
        in one row.

    Returns
    -------
    matplotlib.figure.Figure
        ``columns * PANEL_SIZE[0]`` by ``rows * PANEL_SIZE[1]`` pixels at
        ``FIGURE_DPI``, laid out (matplotlib's constrained layout) so that
        every title and tick label lies inside it. A histogram whose tallest
        bin is more than twice :data:`HISTOGRAM_QUANTILE`'s bin height is
        drawn up to 1.25 times that height, its taller bins cut off there and
        marked with a triangle at the top, so that the bulk stays readable.
        Needs memory for one float copy of the shown plane of each image;
        histograms are counted in place.
    """
    from matplotlib.figure import Figure

    columns = max(1, len(panels) if columns is None else min(columns, len(panels)))
    rows = max(1, -(-len(panels) // columns))
    width, height = PANEL_SIZE
    size = (columns * width / FIGURE_DPI, rows * height / FIGURE_DPI)
    figure = Figure(figsize=size, dpi=FIGURE_DPI, layout="constrained")  # laid out to fit every label
    # one subfigure per row of panels, each laid out as a one-row figure
    parts: list[FigureBase] = [figure]
    if rows > 1:
        stack = figure.add_gridspec(rows, 1)
        parts = [figure.add_subfigure(stack[row, 0]) for row in range(rows)]
    for row, part in enumerate(parts):
        grid = part.add_gridspec(2, columns, height_ratios=(3, 2))
        for column, (label, image) in enumerate(panels[row * columns : (row + 1) * columns]):
            picture = part.add_subplot(grid[0, column])
            if isinstance(image, str):
                _draw_refusal(picture, label, image)
                continue
            low, high = _display_range(image)
            _draw_image(picture, image, low, high, colour)
            picture.set_title(f"{label}\n{image.dtype}, {'x'.join(map(str, image.shape))}", fontsize=9)
            _draw_histogram(part.add_subplot(grid[1, column]), image, low, high, colour)
    return figure


def save_comparison(
    path: str | os.PathLike[str],
    panels: Sequence[Panel],
    *,
    colour: bool = False,
    columns: int | None = None,
    overwrite: bool = False,
) -> None:
    """Draw :func:`comparison_figure` and write it, safely (complete or not at all).

    Parameters
    ----------
    path : str or os.PathLike
        The figure file: ``.png``, ``.pdf`` or ``.svg``.
    panels, colour, columns
        As :func:`comparison_figure`.
    overwrite : bool, default False
        Replace ``path`` if it exists.

    Raises
    ------
    ValueError
        For another suffix.
    FileExistsError, FileNotFoundError, OSError
        As :func:`histeq.io.write_image`.
    """
    path = Path(path)
    file_format = FIGURE_FORMATS.get(path.suffix.lower())
    if file_format is None:
        raise ValueError(
            f"cannot write figure {str(path)!r}: unsupported suffix {path.suffix or '(none)'!r}; "
            f"use one of {', '.join(FIGURE_FORMATS)}"
        )
    figure = comparison_figure(panels, colour=colour, columns=columns)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=file_format, dpi=FIGURE_DPI)

    def write(file: BinaryIO) -> None:
        file.write(buffer.getvalue())

    write_safely(path, write, overwrite=overwrite)


def plot_path(output: Path) -> Path:
    """Where ``--plot`` writes the figure of ``output``: beside it, ``NAME.plot.png``."""
    return output.with_name(f"{output.stem}.plot.png")


def _display_range(image: np.ndarray) -> tuple[float, float]:
    """The values that span black to white (and the histogram's axis):
    Python ints for integer images, floats for float images."""
    if image.dtype.kind in "iu" and image.dtype.itemsize <= 2:
        info = np.iinfo(image.dtype)
        return int(info.min), int(info.max)
    finite = image[np.isfinite(image)] if image.dtype.kind == "f" else image
    if finite.size == 0:
        return 0.0, 1.0
    low, high = finite.min().item(), finite.max().item()
    if image.dtype.kind == "f" and low >= 0 and high <= 1:
        return 0.0, 1.0
    return (low, high) if high > low else (low, low + 1)


def _shown_plane(image: np.ndarray, colour: bool) -> np.ndarray:
    """The middle plane of images with more than two spatial dimensions."""
    spatial = image.ndim - (1 if colour else 0)
    while spatial > 2:
        image = image[image.shape[0] // 2]
        spatial -= 1
    return image


def histogram_top(counts: np.ndarray) -> float | None:
    """Where a figure's histogram axis ends, cutting off spikes; None: at its tallest bin.

    Parameters
    ----------
    counts : ndarray
        ``(channels, bins)`` bin heights.

    Returns
    -------
    float or None
        1.25 times the :data:`HISTOGRAM_QUANTILE` quantile of the heights of
        all channels' bins, when the tallest bin is more than twice that
        quantile (and it is not 0); else None.
    """
    typical = float(np.quantile(counts, HISTOGRAM_QUANTILE))
    return 1.25 * typical if typical > 0 and counts.max() > 2 * typical else None


def _draw_image(axes: Axes, image: np.ndarray, low: float, high: float, colour: bool) -> None:
    plane = _shown_plane(image, colour)
    if colour:
        scaled = (plane.astype(np.float32) - np.float32(low)) / np.float32(high - low)
        axes.imshow(np.clip(np.nan_to_num(scaled), 0, 1), interpolation="antialiased")
    else:
        axes.imshow(plane, cmap="gray", vmin=low, vmax=high, interpolation="antialiased")
    axes.set_axis_off()


def _draw_refusal(axes: Axes, label: str, reason: str) -> None:
    """A panel without an image: its label, and why."""
    axes.set_title(label, fontsize=9)
    axes.text(0.5, 0.5, textwrap.fill(reason, 36), ha="center", va="center", fontsize=7, wrap=False)
    axes.set_axis_off()


def _draw_histogram(axes: Axes, image: np.ndarray, low: float, high: float, colour: bool) -> None:
    from .histogram import histogram  # the command line's runs without figures never need it

    counts, edges = histogram(image, nbins=DISPLAY_BINS, value_range=(low, high), channel_axis=-1 if colour else None)
    counts = counts.reshape(-1, DISPLAY_BINS)
    cdf_axes = axes.twinx()
    line_colours = _CHANNEL_COLOURS if colour else (_GREY,)
    top = histogram_top(counts)
    centres = (edges[:-1] + edges[1:]) / 2
    for channel, line_colour in zip(counts, line_colours):
        axes.stairs(channel, edges, color=line_colour, fill=not colour, alpha=0.6 if colour else 1.0)
        total = max(int(channel.sum()), 1)
        cdf_axes.plot(edges[1:], np.cumsum(channel) / total, color=line_colour, linewidth=1, linestyle="--")
        if top is not None:
            cut = channel > top
            axes.plot(centres[cut], np.full(int(cut.sum()), top), "^", color=line_colour, markersize=4, clip_on=False)
    axes.set_xlim(low, high)
    if top is not None:
        axes.set_ylim(0, top)
        axes.text(0.98, 0.97, "\u25b2 cut off", transform=axes.transAxes, ha="right", va="top", fontsize=6)
    axes.set_yticks([])
    cdf_axes.set_ylim(0, 1.02)
    cdf_axes.tick_params(labelsize=7)
    axes.tick_params(labelsize=7)
    axes.set_xlabel("histogram (solid), cdf (dashed)", fontsize=7)
