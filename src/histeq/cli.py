"""The ``histeq`` command: equalize, CLAHE or match image files, compare methods in a figure, or run the demo."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path
from typing import BinaryIO

import numpy as np

from . import __version__
from ._core.levels import levels_from_fractions
from ._core.methods import CLAHE_METHODS, MATCH_METHODS
from ._core.methods import EQUALIZE_METHODS as METHODS
from ._core.targets import CLAHE_DISTRIBUTIONS as DISTRIBUTIONS
from ._core.targets import DEFAULT_ALPHA, TARGET_DEFAULTS
from ._metadata import ImageMetadata
from .batch import describe, is_batch, run_command, same_file
from .io import MAX_PIXELS, WRITE_FORMATS
from .plot import COMPARE_METHODS, FIGURE_CLAHE_CLIP, plot_path

#: The file name that stands for standard input (as INPUT) or output (as -o).
STREAM = Path("-")
#: The formats ``--format`` offers for standard output.
_STREAM_FORMATS = sorted({name.lower() for name in WRITE_FORMATS.values()})

#: The examples ``histeq --help`` ends with.
_EXAMPLES = """examples:
  histeq demo                                        every method on a built-in image
  histeq equalize photo.jpg -o photo-eq.jpg --plot   one file, and a figure beside it
  histeq clahe scans/ -o scans-clahe/ --workers 2    a folder tree, mirrored
  histeq match shots/ --reference ref.png -o out/    match to a reference
  histeq compare photo.jpg -o figure.png             every method side by side
  cat a.png | histeq equalize - -o - > b.png         standard input and output

'histeq COMMAND --help' describes each command."""

#: Colour layouts (the last axis of a 3-D image) and how many leading samples are colour.
_COLOUR_SAMPLES = {2: 1, 3: 3, 4: 3}  # grey+alpha, RGB, RGBA: alpha is kept as it is


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="histeq",
        description="Histogram equalization with the exact formulas of OpenCV, the textbook, "
        "scikit-image, Pillow and MATLAB, and brightness-preserving BBHE/DSIHE.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    equalize_options = equalize.add_argument_group("equalization")
    equalize_options.add_argument(
        "--method", choices=METHODS, default="opencv", help="the formula to use (default: opencv)"
    )
    equalize_options.add_argument(
        "--target",
        choices=tuple(TARGET_DEFAULTS),
        help="specify the histogram to this distribution (default parameters) with MATLAB's rule "
        "(method opencv or matlab)",
    )
    equalize_options.add_argument("--nbins", type=int, help="number of bins (default: one per level; 256 for floats)")
    equalize_options.add_argument(
        "--mask", type=Path, help="a grey image of the same size: only pixels where it is non-zero are counted"
    )

    clahe = commands.add_parser(
        "clahe",
        help="contrast-limited adaptive equalization (CLAHE) of image files",
        description="CLAHE of image files, per colour channel (alpha is kept). "
        "The default method is OpenCV's cv2.createCLAHE, bit for bit on 8/16-bit grey images.",
    )
    _add_file_arguments(clahe, "process")
    clahe_options = clahe.add_argument_group("CLAHE")
    clahe_options.add_argument(
        "--method", choices=CLAHE_METHODS, default="opencv", help="the algorithm to use (default: opencv)"
    )
    clahe_options.add_argument(
        "--clip-limit",
        type=float,
        help="opencv: a multiple of the mean bin height (default 40; 2 to 4 is typical); "
        "skimage: a fraction of the window (default 0.01); 0: no clipping",
    )
    clahe_options.add_argument(
        "--tile-grid",
        type=int,
        nargs="+",
        metavar="N",
        help="opencv: tiles per axis, rows then columns (default: 8 8); one number for all axes",
    )
    clahe_options.add_argument(
        "--kernel-size", type=int, nargs="+", metavar="N", help="skimage: the tile size in pixels"
    )
    clahe_options.add_argument("--nbins", type=int, help="bins for float images (and skimage's nbins)")
    clahe_options.add_argument(
        "--distribution",
        choices=DISTRIBUTIONS,
        default="uniform",
        help="opencv: target histogram shape per tile, as MATLAB's adapthisteq (default: uniform)",
    )
    clahe_options.add_argument(
        "--alpha", type=float, default=DEFAULT_ALPHA, help=f"rayleigh/exponential parameter (default: {DEFAULT_ALPHA})"
    )

    exact = commands.add_parser(
        "exact",
        help="exact histogram specification: an exactly flat (or target) histogram",
        description="Exact histogram specification (Coltuc, Bolon & Chassery 2006) of integer image "
        "files: pixels are ordered strictly (by value, then by the means of growing neighbourhoods, "
        "then by position) and given levels by rank, so the output histogram is exactly flat, or "
        "exactly the --target distribution. Colour images per channel (alpha is kept).",
    )
    _add_file_arguments(exact, "specify")
    exact_options = exact.add_argument_group("exact specification")
    exact_options.add_argument(
        "--target",
        choices=tuple(TARGET_DEFAULTS),
        help="the output histogram's shape, with default parameters (default: uniform)",
    )
    exact_options.add_argument(
        "--filters",
        type=int,
        default=6,
        help="neighbourhoods that order the pixels: the pixel, the cross, then boxes of side 3, 5, ... (default: 6)",
    )
    exact_options.add_argument(
        "--mask",
        type=Path,
        help="a grey image of the same size: only pixels where it is non-zero get new levels",
    )

    match = commands.add_parser(
        "match",
        help="match the histograms of image files to a reference image",
        description="Map image files so that their histogram matches a reference image's, per colour "
        "channel (alpha is kept; a colour image needs a colour reference, a grey one a grey reference). "
        "The 'skimage' method's float values are written truncated into the input's dtype, as "
        "scikit-image does with channel_axis.",
    )
    _add_file_arguments(match, "match")
    match_options = match.add_argument_group("matching")
    match_options.add_argument("--reference", type=Path, required=True, help="the image whose histogram to match")
    match_options.add_argument(
        "--method", choices=MATCH_METHODS, default="histeq", help="the formula to use (default: histeq)"
    )

    compare = commands.add_parser(
        "compare",
        help="draw an image and its equalized versions side by side, with histograms and cdfs",
        description="Equalize one image with several methods and draw the original and each result "
        "side by side, each over its histogram and cdf (per colour channel), as a figure (matplotlib).",
    )
    compare.add_argument("input", type=Path, help="the image (a file, or - for standard input)")
    compare.add_argument(
        "-o", "--output", type=Path, required=True, help="the figure file to write: .png, .pdf or .svg"
    )
    compare.add_argument(
        "--methods",
        nargs="+",
        choices=COMPARE_METHODS,
        default=list(COMPARE_METHODS),
        metavar="METHOD",
        help=f"what to show: any of {', '.join(COMPARE_METHODS)} (default: all)",
    )
    compare.add_argument(
        "--clip-limit",
        type=float,
        default=FIGURE_CLAHE_CLIP,
        help=f"the clahe panel's clip limit, OpenCV's meaning (default: {FIGURE_CLAHE_CLIP})",
    )
    compare.add_argument("--force", action="store_true", help="replace the figure if it exists")
    compare.add_argument(
        "--max-pixels",
        type=_positive,
        default=MAX_PIXELS,
        help=f"refuse images that declare more pixels, before decoding them (default: 2**30 = {MAX_PIXELS})",
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
    files = parser.add_argument_group("files")
    files.add_argument(
        "input",
        type=Path,
        nargs="+",
        help=f"the images to {verb}: files, folders (every .png, .jpg, .jpeg, .tif, .tiff, .npy below "
        "them), quoted glob patterns ('scans/**/*.tif'), or - for one image on standard input",
    )
    files.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="one file in: the output file (- for standard output); else the output folder, which "
        "mirrors the input folders",
    )
    files.add_argument(
        "--format",
        choices=_STREAM_FORMATS,
        help="the format written to standard output (-o -); default: the input's",
    )
    files.add_argument(
        "--plot",
        action="store_true",
        help="also save a figure of the input and the output with their histograms and cdfs "
        "beside each output, as NAME.plot.png",
    )
    files.add_argument(
        "--force",
        action="store_true",
        help="replace outputs that exist (else: an error for one file, skipped in a batch)",
    )
    batch = parser.add_argument_group("batches")
    batch.add_argument(
        "--workers", type=_positive, default=1, help="files processed at once, in processes (default: 1)"
    )
    files.add_argument(
        "--max-pixels",
        type=_positive,
        default=MAX_PIXELS,
        help=f"refuse images that declare more pixels, before decoding them (default: 2**30 = {MAX_PIXELS})",
    )
    batch.add_argument("--json", action="store_true", help="print a JSON report on stdout (and nothing else there)")


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
        elif args.command == "compare":
            _compare(args)
        else:
            _check_streams(args)
            return run_command(args, functools.partial(process_file, args))
    except (OSError, ValueError, TypeError) as exc:
        print(f"histeq: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # outputs are written whole or not at all
        print("histeq: interrupted", file=sys.stderr)
        return 130
    return 0


def _check_streams(args: argparse.Namespace) -> None:
    """Refuse what standard input and output cannot do."""
    if STREAM in args.input and len(args.input) > 1:
        raise ValueError("- (standard input) reads one image; it cannot be part of a batch")
    if args.output == STREAM:
        if is_batch(args.input):
            raise ValueError("-o - (standard output) writes one image; a batch needs an output folder")
        if args.json:
            raise ValueError("--json and -o - both write to standard output; use one of them")
        if args.plot:
            raise ValueError("--plot saves the figure beside the output file; -o - has none")
    elif args.format is not None:
        raise ValueError("--format is for -o - (standard output); the output file's suffix gives its format")


def process_file(args: argparse.Namespace, source: Path, output: Path) -> None:
    """Run the command ``args`` names on one file, ``source`` -> ``output``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line of ``equalize``, ``clahe`` or ``match``.
    source, output : Path
        The image to read and the file to write.
    """
    commands = {"equalize": _equalize_file, "clahe": _clahe_file, "exact": _exact_file, "match": _match_file}
    commands[args.command](args, source, output)


def _equalize_file(args: argparse.Namespace, source: Path, output: Path) -> None:
    from .equalize import equalize

    def transform(target: np.ndarray, channel_axis: int | None, mask: np.ndarray | None) -> np.ndarray:
        return equalize(
            target,
            method=args.method,
            nbins=args.nbins,
            mask=mask,
            channel_axis=channel_axis,
            target=args.target,
            out=_jpeg_pixels(args, output, target, channel_axis),
        )

    _process_file(args, source, output, transform, args.mask)


def _jpeg_pixels(
    args: argparse.Namespace, output: Path, target: np.ndarray, channel_axis: int | None
) -> np.ndarray | None:
    """Where an equalized 8-bit RGB image bound for a JPEG file goes: an array
    laid out as Pillow's pixels, which the JPEG writer takes without a copy
    (None: let ``equalize`` allocate)."""
    from ._pillow_pixels import padded_rgb
    from .io import format_of

    jpeg = args.format == "jpeg" if output == STREAM else format_of(output) == "JPEG"
    rgb = channel_axis is not None and target.dtype == np.uint8 and target.shape[-1] == 3 and target.ndim == 3
    return padded_rgb(target.shape) if jpeg and rgb and args.method != "skimage" else None


def _clahe_file(args: argparse.Namespace, source: Path, output: Path) -> None:
    from .clahe import clahe

    def axes(values: list[int] | None) -> int | tuple[int, ...] | None:
        return values[0] if values is not None and len(values) == 1 else (tuple(values) if values else None)

    def transform(target: np.ndarray, channel_axis: int | None, mask: None) -> np.ndarray:
        options = {"distribution": args.distribution, "alpha": args.alpha} if args.method == "opencv" else {}
        return clahe(
            target,
            method=args.method,
            clip_limit=args.clip_limit,
            tile_grid=axes(args.tile_grid),
            kernel_size=axes(args.kernel_size),
            nbins=args.nbins,
            channel_axis=channel_axis,
            **options,
        )

    _process_file(args, source, output, transform, None)


def _exact_file(args: argparse.Namespace, source: Path, output: Path) -> None:
    from .specification import exact_specification

    def transform(target: np.ndarray, channel_axis: int | None, mask: np.ndarray | None) -> np.ndarray:
        return exact_specification(
            target, target=args.target, filters=args.filters, channel_axis=channel_axis, mask=mask
        )

    _process_file(args, source, output, transform, args.mask)


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
    args: argparse.Namespace,
    source: Path,
    output: Path,
    transform,
    mask_path: Path | None,
    reference_path: Path | None = None,
) -> None:
    """Read ``source``, run ``transform(colour samples or grey image,
    channel_axis, mask)``, write the result in the input's dtype with the
    input's metadata to ``output`` (alpha kept), refusing to overwrite unless
    ``--force`` (or to write over the input, mask or reference file); with
    ``--plot``, the figure of input and result beside it."""
    from .io import read_image_with_metadata

    for name, given in (("input", source), ("mask", mask_path), ("reference", reference_path)):
        if given is not None and STREAM not in (given, output) and same_file(output, given):
            raise ValueError(f"output {str(output)!r} is the {name} file; write to another file")
    written = [] if output == STREAM else [output] + ([plot_path(output)] if args.plot else [])
    for path in written:
        if os.path.lexists(path) and not args.force:
            raise FileExistsError(f"{str(path)!r} already exists; use --force to replace it")
    image, metadata = read_image_with_metadata(_readable(source), max_pixels=args.max_pixels)
    samples = _colour_samples(image)
    mask = None
    if mask_path is not None:
        mask = _read_mask(mask_path, args.max_pixels)
        spatial = image.shape[:2] if samples else image.shape
        if mask.shape != spatial:
            raise ValueError(f"mask {str(mask_path)!r} is {mask.shape}; the image is {spatial}")
    if samples in (None, image.shape[-1]):  # grey, or colour without alpha: no copy to fill
        result = _to_dtype(transform(image, -1 if samples else None, mask), image.dtype)
    else:  # alpha is kept as it is
        result = image.copy()
        target = result[..., :samples]
        target[...] = _to_dtype(transform(target, -1, mask), image.dtype)
    _write_output(args, output, result, metadata)
    if args.plot:
        from .plot import save_comparison

        panels = [("input", _shown_samples(image)), (describe(args), _shown_samples(result))]
        save_comparison(plot_path(output), panels, colour=samples == 3, overwrite=args.force)


def _readable(source: Path) -> Path | BinaryIO:
    """The file to read, or standard input for ``-``."""
    return sys.stdin.buffer if source == STREAM else source


def _write_output(args: argparse.Namespace, output: Path, result: np.ndarray, metadata: ImageMetadata) -> None:
    """Write ``result`` to the output file, or whole to standard output for ``-o -``."""
    from .io import encode_image, write_image

    if output != STREAM:
        write_image(output, result, metadata=metadata, overwrite=args.force)
        return
    if args.format is not None:
        file_format = args.format.upper()
    elif metadata.format in WRITE_FORMATS.values():
        file_format = metadata.format
    else:
        raise ValueError(f"cannot write a {metadata.format} image to standard output; choose a --format")
    data = encode_image(result, file_format, metadata)  # whole before the first byte goes out
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _shown_samples(image: np.ndarray) -> np.ndarray:
    """What a figure shows of an image: its colour samples, or its grey plane (no alpha)."""
    samples = _colour_samples(image)
    return image if samples is None else (image[..., 0] if samples == 1 else image[..., :samples])


def _to_dtype(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # Float results of the "skimage" method in [0, 1] back to the input's
    # integer levels over the dtype's whole range (min + round(x * span)).
    if values.dtype == dtype or dtype.kind == "f":
        return values
    return levels_from_fractions(values, dtype)


def _compare(args: argparse.Namespace) -> None:
    from .io import read_image
    from .plot import compared_panels, save_comparison

    if args.input != STREAM and same_file(args.output, args.input):
        raise ValueError(f"output {str(args.output)!r} is the input file; write to another file")
    image = read_image(_readable(args.input), max_pixels=args.max_pixels)
    shown = _shown_samples(image)
    colour = _colour_samples(image) == 3
    panels = compared_panels(shown, args.methods, colour=colour, clip_limit=args.clip_limit)
    save_comparison(args.output, panels, colour=colour, overwrite=args.force)
    print(f"{args.input} -> {args.output} (compare: {', '.join(args.methods)})")


def _demo(args: argparse.Namespace) -> None:
    from .demo import run_demo, summary

    written = run_demo(args.output, overwrite=args.force)
    print(summary(written))
    print(f"side by side: {args.output / 'comparison.png'}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
