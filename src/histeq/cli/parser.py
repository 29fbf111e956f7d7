"""The command line's grammar: the subcommands, their options and help texts (argparse)."""

from __future__ import annotations

import argparse
from pathlib import Path

from histeq import __version__
from histeq.io import MAX_PIXELS, WRITE_FORMATS
from histeq.plot import COMPARE_COLORS, COMPARE_METHODS, DEFAULT_COLORS, FIGURE_CLAHE_CLIP, SKIMAGE_COLORS

# isort: split
# Every method name the choices offer, and the defaults they show, come from these imports.
from histeq._core.colour_modes import COLOR_MODES
from histeq._core.colour_spaces import LUMINANCE_SPACES
from histeq._core.methods import CLAHE_METHODS, MATCH_METHODS
from histeq._core.methods import EQUALIZE_METHODS as METHODS
from histeq._core.targets import CLAHE_DISTRIBUTIONS as DISTRIBUTIONS
from histeq._core.targets import DEFAULT_ALPHA, TARGET_DEFAULTS

from .jobs import STREAM, is_batch
from .video import add_parser as add_video_parser

#: The formats ``--format`` offers for standard output.
_STREAM_FORMATS = sorted({name.lower() for name in WRITE_FORMATS.values()})

#: The examples ``histeq --help`` ends with.
_EXAMPLES = """examples:
  histeq demo                                        every method on a built-in image
  histeq equalize photo.jpg -o photo-eq.jpg --plot   one file, and a figure beside it
  histeq clahe scans/ -o scans-clahe/ --workers 2    a folder tree, mirrored
  histeq match shots/ --reference ref.png -o out/    match to a reference
  histeq compare photo.jpg -o figure.png             every method side by side
  histeq compare photo.jpg --methods opencv clahe --colors channels ycrcb lab -o fig.png
                                                     colour modes side by side
  cat a.png | histeq equalize - -o - > b.png         standard input and output

'histeq COMMAND --help' describes each command."""


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``histeq`` command line.

    Returns
    -------
    argparse.ArgumentParser
        With the subcommands ``equalize``, ``clahe``, ``exact``, ``match``,
        ``compare`` and ``demo`` (``args.command`` names the one given).
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
    equalize_options = equalize.add_argument_group("equalization")
    equalize_options.add_argument(
        "--method", choices=METHODS, default="opencv", help="the formula to use (default: opencv)"
    )
    _add_color_argument(equalize_options, "equalize")
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
        description="CLAHE of image files; colour images: their lightness, Lab's L, unless --color says "
        "otherwise (alpha is kept). "
        "The default method is OpenCV's cv2.createCLAHE, bit for bit on 8/16-bit grey images.",
    )
    _add_file_arguments(clahe, "process")
    clahe_options = clahe.add_argument_group("CLAHE")
    clahe_options.add_argument(
        "--method", choices=CLAHE_METHODS, default="opencv", help="the algorithm to use (default: opencv)"
    )
    _add_color_argument(clahe_options, "clahe")
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

    compare = commands.add_parser(
        "compare",
        help="draw an image and its equalized versions side by side, with histograms and cdfs",
        description="Equalize one image with several methods and draw the original and each result "
        "side by side, each over its histogram and cdf (per colour channel), as a figure (matplotlib). "
        "Colour images: with --colors, one row per colour mode.",
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

    add_video_parser(commands)

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


def check_color(args: argparse.Namespace) -> None:
    """Refuse a ``--color`` the ``--method`` cannot give.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line of a command that processes files.

    Raises
    ------
    ValueError
        A colour space with a method that returns floats (``skimage``),
        which the colour spaces cannot take back; CLAHE's ``skimage`` takes
        ``hsv`` (scikit-image's own RGB CLAHE).
    """
    color, method = getattr(args, "color", None), getattr(args, "method", None)
    if color not in LUMINANCE_SPACES or method != "skimage":
        return
    if args.command == "clahe" and color == "hsv":
        return
    usable = [mode for mode in color_choices(args.command) if mode not in LUMINANCE_SPACES]
    if args.command == "clahe":
        usable.append("hsv (scikit-image's own colour CLAHE)")
    raise ValueError(
        f"--color {color} needs a method that returns the image's dtype; --method skimage returns floats: "
        f"use --color {' or '.join(usable)}, or another --method"
    )


def _add_file_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """The options of the commands that process files: inputs, output, batches."""
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
    """An argument that must be a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {value}")
    return value


def check_streams(args: argparse.Namespace) -> None:
    """Refuse what standard input and output cannot do.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line of a command that processes files.

    Raises
    ------
    ValueError
        ``-`` in a batch, ``-o -`` for a batch or with ``--json`` or
        ``--plot``, or ``--format`` without ``-o -``.
    """
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
