"""Comparison figures: images side by side, each over its histogram and cdf (matplotlib).

matplotlib is imported inside the functions (and only its object-oriented
API with the Agg canvas: no pyplot, no window, no global state), so
``import histeq`` stays light and figures can be drawn from worker threads.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from ._core.methods import EQUALIZE_METHODS
from .histogram import histogram
from .io import write_safely

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The size of one panel (an image over its histogram), in pixels: width, height.
PANEL_SIZE = (320, 560)
#: Pixels per inch of the figures written.
FIGURE_DPI = 100
#: Display bins of the histograms.
DISPLAY_BINS = 256
#: Line colours of colour channels (red, green, blue), and of a grey image.
_CHANNEL_COLOURS = ("tab:red", "tab:green", "tab:blue")
_GREY = "0.35"
#: The clip limit (OpenCV's meaning) of CLAHE in figures: ``histeq compare`` and the demo.
FIGURE_CLAHE_CLIP = 2.0
#: What a comparison can show: every equalization method, and CLAHE.
COMPARE_METHODS = (*EQUALIZE_METHODS, "clahe")
#: The formats a figure may be saved as, by suffix.
FIGURE_FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}


def compared_panels(
    image: np.ndarray,
    methods: tuple[str, ...] | list[str] = COMPARE_METHODS,
    *,
    colour: bool = False,
    clip_limit: float = FIGURE_CLAHE_CLIP,
) -> list[tuple[str, np.ndarray]]:
    """The panels of a comparison: the image, then its result by each method.

    Parameters
    ----------
    image : ndarray
        Grey ``(H, W)`` (or a volume), or colour ``(H, W, 3)``; any dtype
        the methods take.
    methods : sequence of str
        Names from :data:`COMPARE_METHODS`: ``equalize`` methods, and
        ``"clahe"`` (OpenCV's algorithm, 8x8 tiles, ``clip_limit``).
    colour : bool, default False
        Equalize each channel of the last axis.
    clip_limit : float
        CLAHE's clip limit, OpenCV's meaning.

    Returns
    -------
    list of (label, image)
        ``("original", image)`` and ``(method, result)``, results as the
        methods return them (``"skimage"``: floats in [0, 1]).
    """
    from .clahe import clahe
    from .equalize import equalize

    channel_axis = -1 if colour else None
    panels = [("original", image)]
    for method in methods:
        if method == "clahe":
            panels.append((method, clahe(image, clip_limit=clip_limit, channel_axis=channel_axis)))
        else:
            panels.append((method, equalize(image, method=method, channel_axis=channel_axis)))
    return panels


def comparison_figure(panels: list[tuple[str, np.ndarray]], *, colour: bool = False) -> Figure:
    """A figure with one column per image: the image over its histogram and cdf.

    Parameters
    ----------
    panels : list of (label, image)
        Images of any integer or float dtype: ``(H, W)`` grey, or with
        ``colour`` ``(H, W, 3)`` RGB; images with more spatial dimensions show
        their middle plane (histograms count every pixel). Integer 8/16-bit
        images are shown over their dtype's range, others over their finite
        values' range (floats within [0, 1]: over [0, 1]). NaN is not counted.
    colour : bool, default False
        The last axis holds red, green and blue: one histogram and cdf per
        channel.

    Returns
    -------
    matplotlib.figure.Figure
        ``len(panels) * PANEL_SIZE[0]`` by ``PANEL_SIZE[1]`` pixels at
        ``FIGURE_DPI``. Needs memory for one float copy of the shown plane of
        each image; histograms are counted in place.
    """
    from matplotlib.figure import Figure

    width, height = PANEL_SIZE
    figure = Figure(figsize=(len(panels) * width / FIGURE_DPI, height / FIGURE_DPI), dpi=FIGURE_DPI)
    grid = figure.add_gridspec(2, len(panels), height_ratios=(3, 2), left=0.02, right=0.98, hspace=0.25)
    for column, (label, image) in enumerate(panels):
        low, high = _display_range(image)
        picture = figure.add_subplot(grid[0, column])
        _draw_image(picture, image, low, high, colour)
        picture.set_title(f"{label}\n{image.dtype}, {'x'.join(map(str, image.shape))}", fontsize=9)
        _draw_histogram(figure.add_subplot(grid[1, column]), image, low, high, colour)
    return figure


def save_comparison(
    path: str | os.PathLike[str],
    panels: list[tuple[str, np.ndarray]],
    *,
    colour: bool = False,
    overwrite: bool = False,
) -> None:
    """Draw :func:`comparison_figure` and write it, safely (complete or not at all).

    Parameters
    ----------
    path : str or os.PathLike
        The figure file: ``.png``, ``.pdf`` or ``.svg``.
    panels, colour
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
    figure = comparison_figure(panels, colour=colour)
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


def _draw_image(axes: Axes, image: np.ndarray, low: float, high: float, colour: bool) -> None:
    plane = _shown_plane(image, colour)
    if colour:
        scaled = (plane.astype(np.float32) - np.float32(low)) / np.float32(high - low)
        axes.imshow(np.clip(np.nan_to_num(scaled), 0, 1), interpolation="antialiased")
    else:
        axes.imshow(plane, cmap="gray", vmin=low, vmax=high, interpolation="antialiased")
    axes.set_axis_off()


def _draw_histogram(axes: Axes, image: np.ndarray, low: float, high: float, colour: bool) -> None:
    counts, edges = histogram(image, nbins=DISPLAY_BINS, value_range=(low, high), channel_axis=-1 if colour else None)
    counts = counts.reshape(-1, DISPLAY_BINS)
    cdf_axes = axes.twinx()
    line_colours = _CHANNEL_COLOURS if colour else (_GREY,)
    for channel, line_colour in zip(counts, line_colours):
        axes.stairs(channel, edges, color=line_colour, fill=not colour, alpha=0.6 if colour else 1.0)
        total = max(int(channel.sum()), 1)
        cdf_axes.plot(edges[1:], np.cumsum(channel) / total, color=line_colour, linewidth=1, linestyle="--")
    axes.set_xlim(low, high)
    axes.set_yticks([])
    cdf_axes.set_ylim(0, 1.02)
    cdf_axes.tick_params(labelsize=7)
    axes.tick_params(labelsize=7)
    axes.set_xlabel("histogram (solid), cdf (dashed)", fontsize=7)
