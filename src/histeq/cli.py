"""The ``histeq`` command: equalize image files (globally or with CLAHE), or run the demo."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

import numpy as np

from . import __version__
from ._dtypes import levels_from_fractions
from ._plans import METHODS
from ._validate import TARGET_DEFAULTS
from .batch import run_command, same_file
from .clahe import DISTRIBUTIONS
from .clahe import METHODS as CLAHE_METHODS
from .io import MAX_PIXELS
from .matching import METHODS as MATCH_METHODS

#: Colour layouts (the last axis of a 3-D image) and how many leading samples are colour.
_COLOUR_SAMPLES = {2: 1, 3: 3, 4: 3}  # grey+alpha, RGB, RGBA: alpha is kept as it is


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="histeq",
        description="Histogram equalization with the exact formulas of OpenCV, the textbook, "
        "scikit-image, Pillow and MATLAB, and brightness-preserving BBHE/DSIHE.",
    )
    parser.add_argument("--version", action="version", version=f"histeq {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    equalize = commands.add_parser(
        "equalize",
        help="equalize image files",
        description="Equalize image files (PNG, TIFF, JPEG, NPY, ...) and write the results. "
        "Colour images are equalized per channel; an alpha channel is kept as it is. "
        "The 'skimage' method's float result in [0, 1] is written in the input's integer "
        "dtype as min + round(value * (max - min)) (round(value * 255) for 8-bit).",
    )
    _add_file_arguments(equalize, "equalize")
    equalize.add_argument(
        "--method", choices=METHODS, default="opencv", help="the formula to use (default: opencv)"
    )
    equalize.add_argument(
        "--target", choices=tuple(TARGET_DEFAULTS),
        help="specify the histogram to this distribution (default parameters) with MATLAB's rule "
        "(method opencv or matlab)",
    )
    equalize.add_argument("--nbins", type=int, help="number of bins (default: one per level; 256 for floats)")
    equalize.add_argument(
        "--mask", type=Path, help="a grey image of the same size: only pixels where it is non-zero are counted"
    )

    clahe = commands.add_parser(
        "clahe",
        help="contrast-limited adaptive equalization (CLAHE) of image files",
        description="CLAHE of image files, per colour channel (alpha is kept). "
        "The default method is OpenCV's cv2.createCLAHE, bit for bit on 8/16-bit grey images.",
    )
    _add_file_arguments(clahe, "process")
    clahe.add_argument(
        "--method", choices=CLAHE_METHODS, default="opencv", help="the algorithm to use (default: opencv)"
    )
    clahe.add_argument(
        "--clip-limit", type=float,
        help="opencv: a multiple of the mean bin height (default 40; 2 to 4 is typical); "
        "skimage: a fraction of the window (default 0.01); 0: no clipping",
    )
    clahe.add_argument(
        "--tile-grid", type=int, nargs="+", metavar="N",
        help="opencv: tiles per axis, rows then columns (default: 8 8); one number for all axes",
    )
    clahe.add_argument("--kernel-size", type=int, nargs="+", metavar="N", help="skimage: the tile size in pixels")
    clahe.add_argument("--nbins", type=int, help="bins for float images (and skimage's nbins)")
    clahe.add_argument(
        "--distribution", choices=DISTRIBUTIONS, default="uniform",
        help="opencv: target histogram shape per tile, as MATLAB's adapthisteq (default: uniform)",
    )
    clahe.add_argument("--alpha", type=float, default=0.4, help="rayleigh/exponential parameter (default: 0.4)")

    match = commands.add_parser(
        "match",
        help="match the histograms of image files to a reference image",
        description="Map image files so that their histogram matches a reference image's, per colour "
        "channel (alpha is kept; a colour image needs a colour reference, a grey one a grey reference). "
        "The 'skimage' method's float values are written truncated into the input's dtype, as "
        "scikit-image does with channel_axis.",
    )
    _add_file_arguments(match, "match")
    match.add_argument("--reference", type=Path, required=True, help="the image whose histogram to match")
    match.add_argument(
        "--method", choices=MATCH_METHODS, default="histeq", help="the formula to use (default: histeq)"
    )

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


def _add_file_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument(
        "input", type=Path, nargs="+",
        help=f"the images to {verb}: files, folders (every .png, .jpg, .jpeg, .tif, .tiff, .npy below "
        "them) or quoted glob patterns ('scans/**/*.tif')",
    )
    parser.add_argument(
        "-o", "--output", type=Path, required=True,
        help="one file in: the output file; else the output folder, which mirrors the input folders",
    )
    parser.add_argument(
        "--force", action="store_true",
        help="replace outputs that exist (else: an error for one file, skipped in a batch)",
    )
    parser.add_argument(
        "--workers", type=_positive, default=1, help="files processed at once, in processes (default: 1)"
    )
    parser.add_argument(
        "--max-pixels", type=_positive, default=MAX_PIXELS,
        help=f"refuse images that declare more pixels, before decoding them (default: 2**30 = {MAX_PIXELS})",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON report on stdout (and nothing else there)")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 error, 2 usage)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            _demo(args)
        else:
            return run_command(args, functools.partial(process_file, args))
    except (OSError, ValueError, TypeError) as exc:
        print(f"histeq: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # outputs are written whole or not at all
        print("histeq: interrupted", file=sys.stderr)
        return 130
    return 0


def process_file(args: argparse.Namespace, source: Path, output: Path) -> None:
    """Run the command ``args`` names on one file, ``source`` -> ``output``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line of ``equalize``, ``clahe`` or ``match``.
    source, output : Path
        The image to read and the file to write.
    """
    commands = {"equalize": _equalize_file, "clahe": _clahe_file, "match": _match_file}
    commands[args.command](args, source, output)


def _equalize_file(args: argparse.Namespace, source: Path, output: Path) -> None:
    from .equalize import equalize

    def transform(target: np.ndarray, channel_axis: int | None, mask: np.ndarray | None) -> np.ndarray:
        return equalize(
            target, method=args.method, nbins=args.nbins, mask=mask, channel_axis=channel_axis, target=args.target
        )

    _process_file(args, source, output, transform, args.mask)


def _clahe_file(args: argparse.Namespace, source: Path, output: Path) -> None:
    from .clahe import clahe

    def axes(values: list[int] | None) -> int | tuple[int, ...] | None:
        return values[0] if values is not None and len(values) == 1 else (tuple(values) if values else None)

    def transform(target: np.ndarray, channel_axis: int | None, mask: None) -> np.ndarray:
        options = {"distribution": args.distribution, "alpha": args.alpha} if args.method == "opencv" else {}
        return clahe(
            target, method=args.method, clip_limit=args.clip_limit, tile_grid=axes(args.tile_grid),
            kernel_size=axes(args.kernel_size), nbins=args.nbins, channel_axis=channel_axis, **options,
        )

    _process_file(args, source, output, transform, None)


def _match_file(args: argparse.Namespace, source: Path, output: Path) -> None:
    from .matching import match_histograms

    reference, samples = _reference_samples(args.reference, args.max_pixels)

    def transform(target: np.ndarray, channel_axis: int | None, mask: None) -> np.ndarray:
        wanted = 1 if channel_axis is None else target.shape[-1]
        if samples.shape[-1] != wanted:
            raise ValueError(
                f"reference {str(args.reference)!r} has {samples.shape[-1]} colour sample(s) "
                f"(shape {reference.shape}); the image has {wanted}"
            )
        ref = samples if channel_axis is not None else samples[..., 0]
        matched = match_histograms(target, ref, channel_axis=channel_axis, method=args.method)
        if matched.dtype == target.dtype or target.dtype.kind == "f":
            return matched.astype(target.dtype, copy=False)
        info = np.iinfo(target.dtype)  # "skimage": float levels, truncated as scikit-image writes them
        return np.clip(matched, info.min, info.max).astype(target.dtype)

    _process_file(args, source, output, transform, None, args.reference)


@functools.lru_cache(maxsize=1)  # read once per process, not once per file of a batch
def _reference_samples(path: Path, max_pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """The reference image and its colour samples, ``(H, W, samples)`` (grey: one)."""
    from .io import read_image

    reference = read_image(path, max_pixels=max_pixels)
    samples = _colour_samples(reference)
    return reference, reference[..., :samples] if samples else reference[..., None]


def _colour_samples(image: np.ndarray) -> int | None:
    """How many leading samples of the last axis are colour (alpha follows),
    or None for a grey image."""
    return _COLOUR_SAMPLES[image.shape[2]] if image.ndim == 3 and image.shape[2] in _COLOUR_SAMPLES else None


@functools.lru_cache(maxsize=1)  # read once per process, not once per file of a batch
def _read_mask(path: Path, max_pixels: int) -> np.ndarray:
    """The mask file as booleans (non-zero: counted); a grey image."""
    from .io import read_image

    mask = read_image(path, max_pixels=max_pixels)
    if mask.ndim != 2:
        raise ValueError(f"mask {str(path)!r} must be a grey image; got shape {mask.shape}")
    return mask != 0


def _process_file(
    args: argparse.Namespace, source: Path, output: Path, transform,
    mask_path: Path | None, reference_path: Path | None = None,
) -> None:
    """Read ``source``, run ``transform(colour samples or grey image,
    channel_axis, mask)``, write the result in the input's dtype to
    ``output`` (alpha kept), refusing to overwrite unless ``--force``
    (or to write over the input, mask or reference file)."""
    from .io import read_image, write_image

    for name, given in (("input", source), ("mask", mask_path), ("reference", reference_path)):
        if given is not None and same_file(output, given):
            raise ValueError(f"output {str(output)!r} is the {name} file; write to another file")
    if os.path.lexists(output) and not args.force:
        raise FileExistsError(f"{str(output)!r} already exists; use --force to replace it")
    image = read_image(source, max_pixels=args.max_pixels)
    samples = _colour_samples(image)
    mask = None
    if mask_path is not None:
        mask = _read_mask(mask_path, args.max_pixels)
        spatial = image.shape[:2] if samples else image.shape
        if mask.shape != spatial:
            raise ValueError(f"mask {str(mask_path)!r} is {mask.shape}; the image is {spatial}")
    result = image.copy()
    target = result[..., :samples] if samples else result
    target[...] = _to_dtype(transform(target, -1 if samples else None, mask), image.dtype)
    write_image(output, result, overwrite=args.force)


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
