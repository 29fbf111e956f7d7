"""The ``histeq`` command: equalize image files, or run the demo."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from . import __version__
from ._dtypes import levels_from_fractions
from ._plans import METHODS

#: Colour layouts (the last axis of a 3-D image) and how many leading samples are colour.
_COLOUR_SAMPLES = {2: 1, 3: 3, 4: 3}  # grey+alpha, RGB, RGBA: alpha is kept as it is


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="histeq",
        description="Histogram equalization with the exact formulas of OpenCV, the textbook, "
        "scikit-image and Pillow.",
    )
    parser.add_argument("--version", action="version", version=f"histeq {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    equalize = commands.add_parser(
        "equalize",
        help="equalize one image file",
        description="Equalize an image file (PNG, TIFF, JPEG, ...) and write the result. "
        "Colour images are equalized per channel; an alpha channel is kept as it is. "
        "The 'skimage' method's float result in [0, 1] is written in the input's integer "
        "dtype as min + round(value * (max - min)) (round(value * 255) for 8-bit).",
    )
    equalize.add_argument("input", type=Path, help="the image to equalize")
    equalize.add_argument("-o", "--output", type=Path, required=True, help="where to write the result")
    equalize.add_argument(
        "--method", choices=METHODS, default="opencv", help="the formula to use (default: opencv)"
    )
    equalize.add_argument("--nbins", type=int, help="number of bins (default: one per level; 256 for floats)")
    equalize.add_argument(
        "--mask", type=Path, help="a grey image of the same size: only pixels where it is non-zero are counted"
    )
    equalize.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")

    demo = commands.add_parser(
        "demo",
        help="equalize the built-in demo image with every method",
        description="Equalize histeq's built-in low-contrast demo image with every method and "
        "write the original, each result and a side-by-side comparison with histograms.",
    )
    demo.add_argument(
        "-o", "--output", type=Path, default=Path("histeq-demo"), help="folder to write into (default: histeq-demo)"
    )
    demo.add_argument("--force", action="store_true", help="replace files that exist")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 error, 2 usage)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "equalize":
            _equalize_file(args)
        else:
            _demo(args)
    except (OSError, ValueError, TypeError) as exc:
        print(f"histeq: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # outputs are written whole or not at all
        print("histeq: interrupted", file=sys.stderr)
        return 130
    return 0


def _equalize_file(args: argparse.Namespace) -> None:
    from .equalize import equalize
    from .io import read_image, write_image

    for name, source in (("input", args.input), ("mask", args.mask)):
        if source is not None and _same_file(args.output, source):
            raise ValueError(f"output {str(args.output)!r} is the {name} file; write to another file")
    if os.path.lexists(args.output) and not args.force:
        raise FileExistsError(f"{str(args.output)!r} already exists; use --force to replace it")
    image = read_image(args.input)
    colour = image.ndim == 3 and image.shape[2] in _COLOUR_SAMPLES
    mask = None
    if args.mask is not None:
        mask = read_image(args.mask)
        if mask.ndim != 2:
            raise ValueError(f"mask {str(args.mask)!r} must be a grey image; got shape {mask.shape}")
        mask = mask != 0
        spatial = image.shape[:2] if colour else image.shape
        if mask.shape != spatial:
            raise ValueError(f"mask {str(args.mask)!r} is {mask.shape}; the image is {spatial}")
    result = image.copy()
    samples = _COLOUR_SAMPLES[image.shape[2]] if colour else None
    target = result[..., :samples] if colour else result
    equalized = equalize(
        target, method=args.method, nbins=args.nbins, mask=mask, channel_axis=-1 if colour else None
    )
    target[...] = _to_dtype(equalized, image.dtype)
    write_image(args.output, result, overwrite=args.force)
    print(f"{args.input} -> {args.output} ({args.method})")


def _same_file(a: Path, b: Path) -> bool:
    # The same path, or another name (a hard or symbolic link) for the same file.
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return a.resolve() == b.resolve()


def _to_dtype(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # Float results of the "skimage" method in [0, 1] back to the input's
    # integer levels over the dtype's whole range (min + round(x * span)).
    if values.dtype == dtype or dtype.kind == "f":
        return values
    return levels_from_fractions(values, dtype)


def _demo(args: argparse.Namespace) -> None:
    from .demo import run_demo, summary

    written = run_demo(args.output, overwrite=args.force)
    print(summary(written))
    print(f"side by side: {args.output / 'comparison.png'}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
