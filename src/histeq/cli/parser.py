"""The command line's grammar: the subcommands, their options and help texts (argparse)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from histeq import __version__
from histeq.io import DEFAULT_QUALITY, MAX_PIXELS, WRITE_FORMATS
from histeq.plot import COMPARE_COLORS, COMPARE_METHODS, DEFAULT_COLORS, FIGURE_CLAHE_CLIP, SKIMAGE_COLORS

# isort: split
# Every method name the choices offer, and the defaults they show, come from these imports.
from histeq._core.colour_modes import COLOR_MODES
from histeq._core.methods import CLAHE_IMAGE_METHODS, CLAHE_METHODS, MATCH_METHODS, equalize_method
from histeq._core.methods import EQUALIZE_METHODS as METHODS
from histeq._core.targets import CLAHE_DISTRIBUTIONS as DISTRIBUTIONS
from histeq._core.targets import DEFAULT_ALPHA, TARGET_DEFAULTS
from histeq._core.validate import check_alpha, check_clip_limit, check_filters, check_nbins, check_tile_grid

from .deep_clahe import DEEP_BINS

#: The formats ``--format`` offers for standard output.
_STREAM_FORMATS = sorted({name.lower() for name in WRITE_FORMATS.values()})

#: The examples ``histeq --help`` ends with.
_EXAMPLES = """examples:
  histeq demo                                        every method on a built-in image
  histeq equalize photo.jpg -o photo-eq.jpg --plot   one file, and a figure beside it
  histeq clahe scans/ -o scans-clahe/ --workers 2    a folder tree, mirrored
  histeq equalize shots/ --suffix -eq                NAME-eq.EXT beside each input
  histeq match shots/ --reference ref.png -o out/    match to a reference
  histeq compare photo.jpg -o figure.png             every method side by side
  histeq compare photo.jpg --methods opencv clahe --colors channels ycrcb lab -o fig.png
                                                     colour modes side by side
  cat a.png | histeq equalize - -o - > b.png         standard input and output

'histeq COMMAND --help' describes each command."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of the ``histeq`` command line.

    Parameters
    ----------
    command : str, optional
        A subcommand's name: the parser has that subcommand alone (a run
        builds only what it parses; ``histeq video``'s options import the
        video code). None, or a name that is no subcommand: all of them (for
        ``histeq --help`` and argparse's "invalid choice" message).

    Returns
    -------
    argparse.ArgumentParser
        With the subcommands ``equalize``, ``clahe``, ``exact``, ``match``,
        ``compare``, ``video`` and ``demo`` (``args.command`` names the one given).
    """
    parser = argparse.ArgumentParser(
        prog="histeq",
        description="Histogram equalization with the exact formulas of OpenCV, the textbook, "
        "scikit-image, Pillow and MATLAB, and brightness-preserving BBHE/DSIHE.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"histeq {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, add in _COMMANDS.items():
        if command is None or command not in _COMMANDS or name == command:
            add(commands)
    return parser


def _add_equalize(commands: argparse._SubParsersAction) -> None:
    """``histeq equalize``."""
    equalize = commands.add_parser(
        "equalize",
        help="equalize image files",
        description="Equalize image files (PNG, TIFF, JPEG, NPY, ...) and write the results. "
        "Colour images: their luminance, YCrCb's Y, unless --color says otherwise; an alpha channel "
        "is kept as it is. "
        "The 'skimage' method's float result in [0, 1] is written in the input's integer "
        "dtype as min + round(value * (max - min)) (round(value * 255) for 8-bit).",
    )
    _add_file_arguments(equalize, "equalize")
    _add_zarr_arguments(equalize)
    equalize_options = equalize.add_argument_group("equalization")
    equalize_options.add_argument(
        "--method",
        type=_equalize_method,
        default="opencv",
        metavar="{" + ",".join(METHODS) + "}",
        help="the formula to use (default: opencv); ffmpeg's options as ffmpeg writes them: "
        "ffmpeg:strength=0.3:intensity=0.5:antibanding=weak. The image tools' methods (imagej, "
        "imagej-classic, imagemagick, ffmpeg) treat colour images as the tool does unless --color is given",
    )
    _add_color_argument(equalize_options, "equalize")
    equalize_options.add_argument(
        "--target",
        choices=tuple(TARGET_DEFAULTS),
        help="specify the histogram to this distribution (default parameters) with MATLAB's rule "
        "(method opencv or matlab)",
    )
    equalize_options.add_argument(
        "--nbins", type=_checked("nbins", check_nbins), help="number of bins (default: one per level; 256 for floats)"
    )
    equalize_options.add_argument(
        "--mask", type=Path, help="a grey image of the same size: only pixels where it is non-zero are counted"
    )


def _add_clahe(commands: argparse._SubParsersAction) -> None:
    """``histeq clahe``."""
    clahe = commands.add_parser(
        "clahe",
        help="contrast-limited adaptive equalization (CLAHE) of image files",
        description="CLAHE of image files; colour images: their lightness, Lab's L, unless --color says "
        "otherwise (alpha is kept). "
        "The default method is OpenCV's cv2.createCLAHE: bit for bit on 8-bit images, and on 16-bit "
        f"ones with --dtype-bins. Images deeper than 8 bits are binned, by default, into --nbins "
        f"(default {DEEP_BINS}) equal bins over their own range (min..max), as float images are and as "
        "scikit-image does, so that a clip limit means what it means on 8-bit images: OpenCV's 65536 bins "
        "of a 16-bit image make a clip limit of 2 do almost nothing to an image that spans a few "
        "thousand levels.",
    )
    _add_file_arguments(clahe, "process")
    _add_zarr_arguments(clahe)
    clahe_options = clahe.add_argument_group("CLAHE")
    clahe_options.add_argument(
        "--method",
        choices=(*CLAHE_METHODS, *CLAHE_IMAGE_METHODS),
        default="opencv",
        help="the algorithm to use (default: opencv); imagemagick: ImageMagick 7's -clahe (8-bit; tiles of "
        "--kernel-size pixels; colour images in its own Lab unless --color is given)",
    )
    _add_color_argument(clahe_options, "clahe")
    clahe_options.add_argument(
        "--clip-limit",
        type=_checked("clip_limit", lambda value: check_clip_limit(value, 0.0), float),
        help="opencv: a multiple of the mean bin height (default 40; 2 to 4 is typical), of the --nbins bins "
        "over the image's range for images deeper than 8 bits (see above); skimage: a fraction of the window "
        "(default 0.01); 0: no clipping",
    )
    clahe_options.add_argument(
        "--tile-grid",
        type=_checked("tile_grid", lambda value: check_tile_grid(value, 1)[0]),
        nargs="+",
        metavar="N",
        help="opencv: tiles per axis, rows then columns (default: 8 8); one number for all axes",
    )
    clahe_options.add_argument(
        "--kernel-size", type=_positive, nargs="+", metavar="N", help="skimage: the tile size in pixels"
    )
    clahe_options.add_argument(
        "--nbins",
        type=_checked("nbins", check_nbins),
        help=f"opencv: bins of images deeper than 8 bits (default {DEEP_BINS}; with --dtype-bins, of float "
        "images only); skimage: its nbins (default 256)",
    )
    clahe_options.add_argument(
        "--dtype-bins",
        action="store_true",
        help="opencv: one bin per level of the dtype for 16-bit images (65536 bins), as cv2.createCLAHE: "
        "its result bit for bit, clip limits in its meaning",
    )
    clahe_options.add_argument(
        "--distribution",
        choices=DISTRIBUTIONS,
        help="opencv: target histogram shape per tile, as MATLAB's adapthisteq (default: uniform)",
    )
    clahe_options.add_argument(
        "--alpha",
        type=_checked("alpha", check_alpha, float),
        help=f"opencv: the rayleigh/exponential parameter (default: {DEFAULT_ALPHA})",
    )


def _add_exact(commands: argparse._SubParsersAction) -> None:
    """``histeq exact``."""
    exact = commands.add_parser(
        "exact",
        help="exact histogram specification: an exactly flat (or target) histogram",
        description="Exact histogram specification (Coltuc, Bolon & Chassery 2006) of integer image "
        "files: pixels are ordered strictly (by value, then by the means of growing neighbourhoods, "
        "then by position) and given levels by rank, so the output histogram is exactly flat, or "
        "exactly the --target distribution. Colour images: their luminance, YCrCb's Y, gets that "
        "histogram, unless --color says otherwise (alpha is kept).",
    )
    _add_file_arguments(exact, "specify")
    exact_options = exact.add_argument_group("exact specification")
    _add_color_argument(exact_options, "exact")
    exact_options.add_argument(
        "--target",
        choices=tuple(TARGET_DEFAULTS),
        help="the output histogram's shape, with default parameters (default: uniform)",
    )
    exact_options.add_argument(
        "--filters",
        type=_checked("filters", check_filters),
        default=6,
        help="neighbourhoods that order the pixels: the pixel, the cross, then boxes of side 3, 5, ... (default: 6)",
    )
    exact_options.add_argument(
        "--mask",
        type=Path,
        help="a grey image of the same size: only pixels where it is non-zero get new levels",
    )


def _add_match(commands: argparse._SubParsersAction) -> None:
    """``histeq match``."""
    match = commands.add_parser(
        "match",
        help="match the histograms of image files to a reference image",
        description="Map image files so that their histogram matches a reference image's; colour "
        "images: their luminance, YCrCb's Y, gets the reference's, unless --color says otherwise "
        "(alpha is kept; a colour image needs a colour reference, a grey one a grey reference). "
        "The 'skimage' method's float values are written truncated into the input's dtype, as "
        "scikit-image does with channel_axis.",
    )
    _add_file_arguments(match, "match")
    match_options = match.add_argument_group("matching")
    match_options.add_argument("--reference", type=Path, required=True, help="the image whose histogram to match")
    match_options.add_argument(
        "--method", choices=MATCH_METHODS, default="histeq", help="the formula to use (default: histeq)"
    )
    _add_color_argument(match_options, "match")


def _add_compare(commands: argparse._SubParsersAction) -> None:
    """``histeq compare``."""
    compare = commands.add_parser(
        "compare",
        help="draw an image and its equalized versions side by side, with histograms and cdfs",
        description="Equalize one image with several methods and draw the original and each result "
        "side by side, each over its histogram and cdf (per colour channel), as a figure (matplotlib). "
        "Colour images: with --colors, one row per colour mode.",
    )
    compare.add_argument("input", type=Path, help="the image (a file, or - for standard input)")
    compare.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="the figure file to write: .png, .pdf or .svg (missing folders are created)",
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
        "--colors",
        nargs="+",
        choices=COMPARE_COLORS,
        metavar="MODE",
        help=f"colour images: a row of panels per colour mode, any of {', '.join(COMPARE_COLORS)}; a "
        "combination a method refuses says why in its panel (default: one row, each method in the "
        "mode the commands use: ycrcb, lab for clahe, joint for skimage); grey images ignore it",
    )
    compare.add_argument(
        "--clip-limit",
        type=_checked("clip_limit", lambda value: check_clip_limit(value, 0.0), float),
        default=FIGURE_CLAHE_CLIP,
        help=f"the clahe panel's clip limit, OpenCV's meaning (default: {FIGURE_CLAHE_CLIP}); images deeper "
        f"than 8 bits: on {DEEP_BINS} bins over their range, as 'histeq clahe' does",
    )
    compare.add_argument(
        "--dtype-bins",
        action="store_true",
        help="the clahe panel of a 16-bit image: one bin per level (65536), as cv2.createCLAHE",
    )
    compare.add_argument("--force", action="store_true", help="replace the figure if it exists")
    compare.add_argument(
        "--max-pixels",
        type=_positive,
        default=MAX_PIXELS,
        help=f"refuse images that declare more pixels, before decoding them (default: 2**30 = {MAX_PIXELS})",
    )


def _add_video(commands: argparse._SubParsersAction) -> None:
    """``histeq video`` (its module imports the video code: only when asked for)."""
    from .video import add_parser

    add_parser(commands)


def _add_demo(commands: argparse._SubParsersAction) -> None:
    """``histeq demo``."""
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


#: Each subcommand's parser, in the order ``histeq --help`` lists them.
_COMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "equalize": _add_equalize,
    "clahe": _add_clahe,
    "exact": _add_exact,
    "match": _add_match,
    "compare": _add_compare,
    "video": _add_video,
    "demo": _add_demo,
}


def _add_zarr_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of Zarr runs (``--scheduler``; :mod:`.zarr_jobs` runs them)."""
    parser.add_argument(
        "--scheduler",
        help="Zarr stores and large TIFFs (processed lazily, block by block): Dask's scheduler, 'threads' "
        "(default), 'processes', 'synchronous', or the address of a dask.distributed scheduler "
        "(tcp://HOST:PORT)",
    )


def _add_color_argument(group: argparse._ArgumentGroup, command: str) -> None:
    """``--color``: how a command treats colour images (the modes its operation takes)."""
    modes = color_choices(command)
    skimage = SKIMAGE_COLORS.get(command)
    default = DEFAULT_COLORS[command] + ("" if skimage is None else f", with --method skimage {skimage}")
    group.add_argument(
        "--color",
        choices=modes,
        help="colour images (RGB, RGBA): channels: each channel on its own; "
        + ("joint: one histogram of all channels; " if "joint" in modes else "")
        + "ycrcb, lab, hsv: the luminance alone (Y as OpenCV's cvtColor, L*, V). "
        f"Default: {default}. Grey+alpha images are processed per channel; grey images ignore it",
    )


def color_choices(command: str) -> tuple[str, ...]:
    """The ``--color`` values of a command: its operation's ``color=`` modes
    (CLAHE and exact specification work on neighbourhoods, which channels
    cannot pool: no ``joint``)."""
    return tuple(mode for mode in COLOR_MODES if not (mode == "joint" and command in ("clahe", "exact")))


def _add_file_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """The options of the commands that process files: inputs, output, batches."""
    files = parser.add_argument_group("files")
    files.add_argument(
        "input",
        type=Path,
        nargs="+",
        help=f"the images to {verb}: files, folders (every image file below them that Pillow, tifffile or "
        "numpy reads, by suffix: .png, .jpg, .tif, .webp, .bmp, .npy, ...; other files are counted in the "
        "summary as not images), quoted glob patterns ('scans/**/*.tif'), or - for one image on standard input",
    )
    where = files.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "-o",
        "--output",
        type=Path,
        help="one file in: the output file (- for standard output), in the format its suffix names; else "
        "the output folder, which mirrors the input folders; missing folders are created",
    )
    where.add_argument(
        "--suffix",
        help="instead of -o: write NAME<SUFFIX>.EXT beside each input (e.g. --suffix -eq); never over an "
        "input; existing outputs are skipped (a rerun finishes what is left), and inputs whose names end "
        "with the suffix are left out (earlier outputs)",
    )
    files.add_argument(
        "--format",
        choices=_STREAM_FORMATS,
        help="the format of the outputs: the one written to standard output (-o -; default: the input's), or "
        "in batches (-o FOLDER, --suffix) every output's, whose suffix then replaces its input's (default: each "
        "input's own)",
    )
    files.add_argument(
        "--quality",
        type=_quality,
        help="JPEG, WebP and AVIF outputs: 1..100 (default: a JPEG input's own quantization tables and "
        f"chroma subsampling for JPEG outputs, as Pillow's quality='keep'; else JPEG {DEFAULT_QUALITY['JPEG']}, "
        f"WebP {DEFAULT_QUALITY['WEBP']}, AVIF {DEFAULT_QUALITY['AVIF']}); lossless formats have none",
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
    stacks = parser.add_argument_group("stacks")
    stacks.add_argument(
        "--batch-axis",
        type=int,
        nargs="+",
        metavar="AXIS",
        help="axes of a stack (a .npy array, a multi-page TIFF) along which every index is an image of its "
        "own, e.g. --batch-axis 0 for (pages, height, width[, colour]); the colour samples are read from "
        "one page's shape",
    )
    if verb != "process":  # CLAHE has no mask: every pixel of a tile is counted
        parser.add_argument_group("alpha").add_argument(
            "--count-transparent",
            action="store_true",
            help="images with alpha: count every pixel, transparent ones (alpha 0) too; by default only "
            "visible pixels shape the histogram (every pixel is mapped, alpha is kept; match --method skimage "
            "counts every pixel, as scikit-image has no masks)",
        )
    batch = parser.add_argument_group("batches")
    batch.add_argument(
        "--workers",
        type=_positive,
        default=None,
        help="files processed at once, in worker processes (default: one process that works on a few more "
        "files at once than it has CPUs, in threads)",
    )
    files.add_argument(
        "--max-pixels",
        type=_positive,
        default=MAX_PIXELS,
        help=f"refuse images that declare more pixels, before decoding them (default: 2**30 = {MAX_PIXELS})",
    )
    batch.add_argument("--json", action="store_true", help="print a JSON report on stdout (and nothing else there)")


def _equalize_method(text: str) -> str:
    """``--method`` of ``equalize``: a method's name, or ffmpeg's with its options."""
    if text in METHODS:
        return text
    if text.startswith("ffmpeg:"):
        try:
            equalize_method(text, np.dtype(np.uint8))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text
    raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from {', '.join(METHODS)}, ffmpeg:OPTIONS)")


def _positive(text: str) -> int:
    """An argument that must be a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {value}")
    return value


def _quality(text: str) -> int:
    """``--quality``: a whole number in 1..100."""
    value = int(text)
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be a whole number in 1..100; got {value}")
    return value


def _checked(name: str, check: Callable[[Any], Any], parse: Callable[[str], Any] = int) -> Callable[[str], Any]:
    """An argument type: ``parse`` the text, then the library's own check of
    its parameter ``name`` (one rule for both), its message in the command
    line's words (argparse names the option)."""

    def convert(text: str) -> Any:
        value = parse(text)
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number; got {text}")
        try:
            check(value)
        except (TypeError, ValueError) as exc:
            message = str(exc)
            message = message[len(name) + 1 :] if message.startswith(f"{name} ") else message
            raise argparse.ArgumentTypeError(message) from None
        return value

    convert.__name__ = parse.__name__  # argparse's "invalid int value: 'x'"
    return convert


def command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The parser of one subcommand of :func:`build_parser`'s ``parser``: its
    usage line is the one a usage error of that command shows.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``histeq`` parser.
    command : str
        A subcommand's name.

    Returns
    -------
    argparse.ArgumentParser
        The subcommand's parser; ``parser`` itself if it has no such subcommand.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser
