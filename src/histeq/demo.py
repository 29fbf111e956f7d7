"""``histeq demo``: every method on the default image, side by side."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._core.levels import levels_from_fractions
from .demo_image import demo_image
from .io import write_image
from .plot import compared_panels, save_comparison


def run_demo(folder: Path, *, overwrite: bool = False) -> list[tuple[str, np.ndarray, Path]]:
    """Equalize the demo image with every method, and with CLAHE, and write
    the results.

    Writes ``original.png``, one ``<method>.png`` per method, ``clahe.png``
    (OpenCV's CLAHE, clip limit :data:`histeq.plot.FIGURE_CLAHE_CLIP`, 8x8
    tiles) and
    ``comparison.png`` (all panels over their histograms and cdfs, as
    ``histeq compare`` draws them) into ``folder``,
    which is created if needed. Existing files are replaced only with
    ``overwrite``; otherwise nothing is written and ``FileExistsError`` names
    the first existing file.

    Returns
    -------
    list of (name, image, path)
        The original and each method's uint8 result, in panel order.
    """
    panels = []
    for name, image in compared_panels(demo_image()):
        if isinstance(image, str):  # every method takes the demo's uint8 image
            raise RuntimeError(f"{name}: {image}")
        panels.append((name, as_uint8(image)))
    names = [f"{name}.png" for name, _ in panels] + ["comparison.png"]
    if not overwrite:
        for name in names:
            if os.path.lexists(folder / name):
                raise FileExistsError(f"{str(folder / name)!r} already exists; use --force to replace it")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for (name, image), file_name in zip(panels, names):
        write_image(folder / file_name, image, overwrite=overwrite)
        written.append((name, image, folder / file_name))
    rows = 2  # every method side by side would make a figure too wide to look at
    save_comparison(folder / "comparison.png", panels, columns=-(-len(panels) // rows), overwrite=overwrite)
    return written


def as_uint8(image: np.ndarray) -> np.ndarray:
    """uint8 as it is; floats in [0, 1] (the ``"skimage"`` method) rounded to 0..255."""
    if image.dtype == np.uint8:
        return image
    return levels_from_fractions(image, np.dtype(np.uint8))


def summary(panels: list[tuple[str, np.ndarray, Path]]) -> str:
    """A small text table: distinct levels, min, max and mean of each panel."""
    width = max(len("image"), *(len(name) for name, _, _ in panels))
    rows = [f"{'image':<{width}} {'levels':>6} {'min':>4} {'max':>4} {'mean':>7}  file"]
    for name, image, path in panels:
        rows.append(
            f"{name:<{width}} {np.unique(image).size:>6} {image.min():>4} {image.max():>4} {image.mean():>7.2f}  {path}"
        )
    return "\n".join(rows)
