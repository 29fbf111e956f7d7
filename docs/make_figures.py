"""Make the README's before/after pictures from the images histeq makes itself.

    python docs/make_figures.py            # writes docs/images/colour.jpg and docs/images/microscopy.png

``colour.jpg``: the hazy colour scene of :func:`histeq.demo_image.demo_colour_image`,
equalized per channel (``histeq equalize --color channels``: the hues shift) and
on its luminance (``histeq equalize``, YCrCb's Y: they stay).
``microscopy.png``: the 16-bit cells of :func:`histeq.demo_image.demo_cells_image`,
CLAHE with clip limit 2 on OpenCV's 65536 bins (``histeq clahe --dtype-bins``) and
as the command line does by default (256 bins over the image's range).
Deterministic: the same files on every run (given the same matplotlib and Pillow).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import histeq
from histeq.cli.deep_clahe import command_line_clahe
from histeq.demo_image import demo_cells_image, demo_colour_image

#: Where the pictures go.
IMAGES = Path(__file__).resolve().parent / "images"
#: Width of one panel, in pixels (the pictures are 256 pixels wide).
PANEL = 300
#: Pixels per inch of the figures.
DPI = 100
#: The clip limit of the CLAHE panels: the typical one.
CLIP_LIMIT = 2.0


def _figure(panels: list[tuple[str, np.ndarray]], grey_top: int | None = None):
    """One row of pictures with their titles (RGB uint8, or grey over 0..grey_top)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(len(panels) * PANEL / DPI, (PANEL + 40) / DPI), dpi=DPI, layout="constrained")
    for index, (title, image) in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), index + 1)
        if image.ndim == 2:
            axes.imshow(image, cmap="gray", vmin=0, vmax=grey_top, interpolation="nearest")
        else:
            axes.imshow(image, interpolation="nearest")
        axes.set_title(title, fontsize=9)
        axes.set_axis_off()
    return figure


def colour_figure(path: Path) -> None:
    """The colour scene: original, per channel, on luminance (JPEG, quality 85)."""
    scene = demo_colour_image()
    panels = [
        ("original (hazy)", scene),
        ("each channel: hues shift\n(--color channels)", histeq.equalize(scene, channel_axis=-1)),
        ("luminance, YCrCb's Y\n(the default)", histeq.equalize(scene, channel_axis=-1, color="ycrcb")),
    ]
    _figure(panels).savefig(path, dpi=DPI, pil_kwargs={"quality": 85, "optimize": True})


def microscopy_figure(path: Path) -> None:
    """The 16-bit cells: original, CLAHE on OpenCV's bins, the command line's CLAHE (PNG)."""
    cells = demo_cells_image()
    opencv = histeq.clahe(cells, clip_limit=CLIP_LIMIT)
    default = command_line_clahe(cells, clip_limit=CLIP_LIMIT)
    panels = [
        (f"16-bit original\n{cells.min()}..{cells.max()} of 0..65535", cells),
        (f"CLAHE, 65536 bins (--dtype-bins)\n{opencv.min()}..{opencv.max()}", opencv),
        (f"CLAHE, the default\n{default.min()}..{default.max()}", default),
    ]
    _figure(panels, grey_top=65535).savefig(path, dpi=DPI, pil_kwargs={"optimize": True})


def main() -> None:
    """Write both pictures into ``--output`` (default: ``docs/images``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=IMAGES, help=f"the folder (default: {IMAGES})")
    folder = parser.parse_args().output
    folder.mkdir(parents=True, exist_ok=True)
    colour_figure(folder / "colour.jpg")
    microscopy_figure(folder / "microscopy.png")
    for name in ("colour.jpg", "microscopy.png"):
        print(f"{folder / name}: {(folder / name).stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
