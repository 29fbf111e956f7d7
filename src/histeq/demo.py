"""``histeq demo``: every method on the default image, side by side."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._dtypes import levels_from_fractions
from ._plans import METHODS
from .clahe import clahe
from .demo_image import demo_image
from .equalize import equalize
from .io import write_image

#: Height of the histogram strip under each panel, and the margins, in pixels.
HISTOGRAM_HEIGHT = 100
LABEL_HEIGHT = 20
GAP = 8
#: The demo's CLAHE clip limit (OpenCV's meaning).
CLAHE_CLIP = 2.0


def run_demo(folder: Path, *, overwrite: bool = False) -> list[tuple[str, np.ndarray, Path]]:
    """Equalize the demo image with every method, and with CLAHE, and write
    the results.

    Writes ``original.png``, one ``<method>.png`` per method, ``clahe.png``
    (OpenCV's CLAHE, clip limit :data:`CLAHE_CLIP`, 8x8 tiles) and
    ``comparison.png`` (all panels with their histograms) into ``folder``,
    which is created if needed. Existing files are replaced only with
    ``overwrite``; otherwise nothing is written and ``FileExistsError`` names
    the first existing file.

    Returns
    -------
    list of (name, image, path)
        The original and each method's uint8 result, in panel order.
    """
    original = demo_image()
    panels = [("original", original)] + [(m, as_uint8(equalize(original, method=m))) for m in METHODS]
    panels.append(("clahe", clahe(original, clip_limit=CLAHE_CLIP)))
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
    write_image(folder / "comparison.png", comparison(panels), overwrite=overwrite)
    return written


def as_uint8(image: np.ndarray) -> np.ndarray:
    """uint8 as it is; floats in [0, 1] (the ``"skimage"`` method) rounded to 0..255."""
    if image.dtype == np.uint8:
        return image
    return levels_from_fractions(image, np.dtype(np.uint8))


def comparison(panels: list[tuple[str, np.ndarray]]) -> np.ndarray:
    """One uint8 picture: each ``(label, (H, W) uint8 image)`` panel with its
    label above and its histogram below, left to right.

    Returns an array of shape ``(LABEL_HEIGHT + H + GAP + HISTOGRAM_HEIGHT,
    n * W + (n - 1) * GAP)``.
    """
    from PIL import Image, ImageDraw

    height, width = panels[0][1].shape
    total_height = LABEL_HEIGHT + height + GAP + HISTOGRAM_HEIGHT
    canvas = Image.new("L", (len(panels) * width + (len(panels) - 1) * GAP, total_height), 255)
    draw = ImageDraw.Draw(canvas)
    for k, (label, image) in enumerate(panels):
        left = k * (width + GAP)
        draw.text((left + 4, 4), label, fill=0)
        canvas.paste(Image.fromarray(image), (left, LABEL_HEIGHT))
        counts = np.bincount(image.ravel(), minlength=256)
        bars = counts / counts.max() * (HISTOGRAM_HEIGHT - 1)
        base = total_height - 1
        for level, bar in enumerate(bars):
            x = left + level * width // 256
            draw.line([(x, base), (x, base - int(round(bar)))], fill=0)
    return np.asarray(canvas)


def summary(panels: list[tuple[str, np.ndarray, Path]]) -> str:
    """A small text table: distinct levels, min, max and mean of each panel."""
    rows = [f"{'image':<10} {'levels':>6} {'min':>4} {'max':>4} {'mean':>7}  file"]
    for name, image, path in panels:
        rows.append(
            f"{name:<10} {np.unique(image).size:>6} {image.min():>4} {image.max():>4} "
            f"{image.mean():>7.2f}  {path}"
        )
    return "\n".join(rows)
