"""Every option checked before any file is read or written: the combinations
argparse cannot check itself (single values are checked by their argument
types, :mod:`.parser`). A bad option is a usage error: the command's usage
line and exit status 2 (:func:`histeq.cli.main`)."""

from __future__ import annotations

import argparse
import os

from histeq._core.colour_spaces import LUMINANCE_SPACES
from histeq._core.methods import DEFAULT_METHOD, TARGET_METHOD
from histeq.io import FORMATS_BY_NAME, format_of

from .jobs import STREAM, is_batch
from .parser import color_choices

#: The commands that process files (inputs, ``-o``/``--suffix``, batches).
FILE_COMMANDS = ("equalize", "clahe", "exact", "match")


def check_options(args: argparse.Namespace) -> None:
    """Refuse a command line whose options do not go together.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Raises
    ------
    ValueError
        Saying which options and what to do instead (see :func:`check_streams`,
        :func:`check_color` and the checks of ``--suffix``, ``-o``'s suffix,
        ``--quality``, ``--mask`` and ``--reference`` files, ``--target`` and
        CLAHE's method-specific options).
    """
    if args.command not in FILE_COMMANDS:
        return
    check_streams(args)
    _check_suffix(args)
    _check_output(args)
    check_color(args)
    _check_given_files(args)
    if args.command == "equalize":
        _check_target(args)
    elif args.command == "clahe":
        _check_clahe(args)


def check_streams(args: argparse.Namespace) -> None:
    """Refuse what standard input and output cannot do.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line of a command that processes files.

    Raises
    ------
    ValueError
        ``-`` in a batch or with ``--suffix``, ``-o -`` for a batch or with
        ``--json`` or ``--plot``, or ``--format`` with ``-o FILE`` (its suffix
        gives the format).
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
    elif args.format is not None and args.suffix is None and not is_batch(args.input):
        raise ValueError(
            "--format is for -o - (standard output) and batches (-o FOLDER, --suffix); the output file's suffix "
            "gives its format"
        )


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


def _check_suffix(args: argparse.Namespace) -> None:
    """``--suffix``: a piece of a file name, and files to put beside."""
    if args.suffix is None:
        return
    if not args.suffix or any(separator in args.suffix for separator in {"/", os.sep}) or args.suffix in (".", ".."):
        raise ValueError(f"--suffix {args.suffix!r} must be a piece of a file name, such as -eq (no folders)")
    if STREAM in args.input:
        raise ValueError("--suffix writes beside each input file; - (standard input) has no folder: use -o")


def _check_output(args: argparse.Namespace) -> None:
    """One file in: ``-o`` names a format histeq writes; ``--quality`` a format that takes one."""
    single = args.suffix is None and args.output != STREAM and not is_batch(args.input)
    if single:
        format_of(args.output)  # an unknown suffix
    if args.quality is None:
        return
    named = format_of(args.output) if single else (args.format.upper() if args.format else None)
    if named is not None and not FORMATS_BY_NAME[named].lossy:
        lossy = ", ".join(output.name for output in FORMATS_BY_NAME.values() if output.lossy)
        lossy = " and ".join(lossy.rsplit(", ", 1))
        raise ValueError(f"--quality is for {lossy} outputs; {named} is lossless and has none")


def _check_given_files(args: argparse.Namespace) -> None:
    """``--mask`` and ``--reference`` name files that exist (read later, once per process)."""
    for option in ("mask", "reference"):
        path = getattr(args, option, None)
        if path is not None and not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            raise ValueError(f"--{option} {str(path)!r} {what}")


def _check_target(args: argparse.Namespace) -> None:
    """``--target`` with a method that histogram specification selects."""
    if args.target is not None and args.method not in (DEFAULT_METHOD, TARGET_METHOD):
        raise ValueError(
            f"--target specifies the histogram with MATLAB's rule: --method {DEFAULT_METHOD} (the default) or "
            f"{TARGET_METHOD}; got --method {args.method}"
        )


def _check_clahe(args: argparse.Namespace) -> None:
    """CLAHE's options of the other method, and ``--alpha`` without its distribution."""
    if args.method == "opencv":
        if args.kernel_size is not None:
            raise ValueError("--kernel-size is for --method skimage; --method opencv takes --tile-grid")
        if args.alpha is not None and args.distribution not in ("rayleigh", "exponential"):
            raise ValueError("--alpha shapes --distribution rayleigh or exponential; give one of them")
        return
    given = [
        option
        for option, value in (
            ("--tile-grid", args.tile_grid),
            ("--distribution", args.distribution),
            ("--alpha", args.alpha),
            ("--dtype-bins", args.dtype_bins or None),
        )
        if value is not None
    ]
    if given:
        raise ValueError(f"{', '.join(given)}: for --method opencv only (--method {args.method} takes --kernel-size)")
