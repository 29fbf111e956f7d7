"""Comparison figures fit their labels, and a spike does not flatten the histogram."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from histeq import plot
from histeq.demo_image import demo_image


def _sticks_out(figure) -> bool:
    """Whether anything drawn (titles, tick labels, the cdf's axis) lies outside ``figure``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)  # as savefig draws it
    canvas.draw()
    drawn = figure.get_tightbbox(canvas.get_renderer())  # in inches
    width, height = figure.get_size_inches()
    slack = 0.5 / figure.dpi
    return drawn.x0 < -slack or drawn.y0 < -slack or drawn.x1 > width + slack or drawn.y1 > height + slack


@pytest.mark.parametrize("colour", [False, True])
def test_every_label_lies_inside_the_figure(colour):
    image = demo_image()[::4, ::4]
    image = np.dstack([image, image[::-1], image[:, ::-1]]) if colour else image
    panels = plot.compared_panels(image, ["opencv", "clahe"], colour=colour)
    figure = plot.comparison_figure(panels, colour=colour)
    assert not _sticks_out(figure)
    sixteen = plot.comparison_figure([("a", image.astype(np.uint16) * 257)], colour=colour)  # "60000" labels
    assert not _sticks_out(sixteen)
    rows = plot.comparison_figure(panels * 2, colour=colour, columns=3)
    assert not _sticks_out(rows)
    assert tuple(rows.get_size_inches() * plot.FIGURE_DPI) == (3 * plot.PANEL_SIZE[0], 2 * plot.PANEL_SIZE[1])


def _histogram_axes(figure):
    """The histogram axes (no title, with an x label), in panel order."""
    return [axes for axes in figure.axes if axes.get_xlabel().startswith("histogram")]


def test_a_spike_is_cut_off_and_marked_and_the_bulk_stays_readable():
    image = demo_image()[::2, ::2].copy()
    image[:64] = 0  # a quarter of the pixels at one level
    counts = np.bincount(image.ravel(), minlength=256)[None]
    top = plot.histogram_top(counts)
    assert top is not None and top < counts.max() / 5
    assert top >= np.sort(counts.ravel())[-6]  # the bulk below the cut
    figure = plot.comparison_figure([("spike", image)])
    figure.canvas.draw()
    (axes,) = _histogram_axes(figure)
    assert axes.get_ylim()[1] == pytest.approx(top)
    markers = [line for line in axes.get_lines() if line.get_marker() == "^"]
    assert len(markers) == 1 and 1 <= len(markers[0].get_xdata()) <= 2  # level 0, and the shadow at 80
    assert markers[0].get_xdata()[0] == pytest.approx(0.5, abs=0.01)
    assert any("cut off" in text.get_text() for text in axes.texts)


def test_an_even_histogram_is_not_cut():
    image = np.arange(256, dtype=np.uint8).repeat(40).reshape(80, 128)
    assert plot.histogram_top(np.bincount(image.ravel(), minlength=256)[None]) is None
    figure = plot.comparison_figure([("flat", image)])
    figure.canvas.draw()
    (axes,) = _histogram_axes(figure)
    assert not axes.texts and not [line for line in axes.get_lines() if line.get_marker() == "^"]
