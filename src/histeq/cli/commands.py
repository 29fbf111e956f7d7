"""What each subcommand does: one file through equalize, CLAHE, exact specification or
matching (read, transform the colour samples, write safely, plot), the comparison figure and
the demo.

Colour: :mod:`histeq._core.colour` says which samples of a file are colour and which
alpha; :func:`image_colour` how the library treats them (``--color``, or the command's
default mode, :func:`histeq.plot.default_color`). Alpha is kept as it is.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

import histeq
from histeq import equalize
from histeq._core.colour import colour_samples, join_alpha, spatial_shape, split_alpha, without_alpha
from histeq._core.colour_spaces import COLOUR_DTYPES, LUMINANCE_SPACES
from histeq._core.levels import levels_from_fractions
from histeq._core.methods import CLAHE_IMAGE_METHODS, equalize_method
from histeq.io import (
    FORMATS_BY_NAME,
    WRITE_FORMATS,
    ImageMetadata,
    WriteError,
    check_writable,
    encode_image,
    format_of,
    padded_rgb,
    read_image,
    read_image_with_metadata,
    remove_stale_temporaries,
    write_image,
    write_safely,
)
from histeq.plot import (
    FIGURE_DPI,
    Panel,
    compared_panels,
    comparison_figure,
    default_color,
    plot_path,
    save_comparison,
)

from .deep_clahe import command_line_clahe, deep_clahe, is_deep
from .jobs import STREAM, same_file
from .report import describe


@dataclass(frozen=True)
class ImageColour:
    """How the library treats one image's colour (see :func:`image_colour`).

    Attributes
    ----------
    mode : str or None
        The ``color=`` mode: ``"channels"``, ``"joint"``, ``"ycrcb"``,
        ``"lab"`` or ``"hsv"``; None for a grey image.
    channel_axis : int or None
        -1 for colour layouts (grey+alpha, RGB, RGBA), None for grey.
    color : str or None
        The ``color=`` argument: ``mode``, or None for ``"channels"``
        without alpha (the operations' own per-channel paths, the fast RGB
        one included).
    keep_alpha : bool
        The ``keep_alpha=`` argument: alpha goes to the library, which
        returns it as it was (``"channels"``, ``"joint"`` with 2 or 4 samples).
    split : bool
        The command takes the alpha off and puts it back after converting
        the result to the image's dtype: the library gets only the colour
        samples (float results, CLAHE of images deeper than 8 bits, and
        matching, whose reference has no alpha).
    """

    mode: str | None
    channel_axis: int | None
    color: str | None
    keep_alpha: bool
    split: bool


#: ``transform(image or its colour samples, colour, mask)``: the operation on one image.
Transform = Callable[[np.ndarray, ImageColour, np.ndarray | None], np.ndarray]


def image_colour(args: argparse.Namespace, shape: tuple[int, ...], dtype: np.dtype) -> ImageColour:
    """How the library treats the colour of an image of ``shape`` under the command ``args``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: ``command``, ``color`` and ``method`` (if it has one).
    shape : tuple of int
        The image's shape, as read.
    dtype : numpy.dtype
        The image's dtype.

    Returns
    -------
    ImageColour
        Grey images: no colour (``--color`` is ignored). Grey+alpha:
        ``"channels"`` (its one colour sample is its luminance). RGB and
        RGBA: ``--color``, else the command's default
        (:func:`histeq.plot.default_color`: ``"ycrcb"``, ``"lab"`` for
        ``clahe``; scikit-image's own with ``--method skimage``).
    """
    samples = colour_samples(item_shape(args, shape))
    if samples is None:
        return ImageColour(None, None, None, keep_alpha=False, split=False)
    method = getattr(args, "method", None) or ""
    alpha = samples != shape[-1]
    split = alpha and (args.command == "match" or _returns_floats(args) or _bins_over_range(args, dtype))
    split = split or (alpha and args.command == "clahe" and args.method in CLAHE_IMAGE_METHODS)  # RGB only
    if samples == 3 and args.color is None and _tool_colour(args):  # the tool's own colour handling
        return ImageColour(TOOL_COLOUR, -1, None, keep_alpha=alpha and not split, split=split)
    mode = "channels" if samples == 1 else args.color or default_color(args.command, method)
    keep_alpha = alpha and not split and mode in ("channels", "joint")
    color = None if mode == "channels" and not keep_alpha and not _tool_colour(args) else mode
    return ImageColour(mode, -1, color, keep_alpha=keep_alpha, split=split)


#: The mode of a colour image that an image tool's method treats as the tool does.
TOOL_COLOUR = "as the tool does"


def _tool_colour(args: argparse.Namespace) -> bool:
    """Whether the command's method is an image tool's with colour handling of
    its own (ImageJ, ImageMagick, ffmpeg): colour images then go to it as
    they are (``color`` unset) unless ``--color`` names a mode."""
    method = getattr(args, "method", None)
    if args.command == "equalize" and isinstance(method, str):
        return equalize_method(method, np.dtype(np.uint8)).frames is not None
    return args.command == "clahe" and method in CLAHE_IMAGE_METHODS


def batch_axes(args: argparse.Namespace, ndim: int) -> tuple[int, ...] | None:
    """``--batch-axis`` as axes of an ``ndim``-dimensional image (None without it)."""
    axes = getattr(args, "batch_axis", None)
    if not axes:
        return None
    for axis in axes:
        if not -ndim <= axis < ndim:
            raise ValueError(f"--batch-axis {axis} is out of range for an image of {ndim} dimensions")
    return tuple(sorted({axis % ndim for axis in axes}))


def item_shape(args: argparse.Namespace, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of one image of a stack (``--batch-axis``): ``shape`` without
    the batch axes. Its colour samples lie on the stack's last axis, which
    must then not be a batch axis: a stack whose last axis is a batch axis
    is read as grey images."""
    axes = batch_axes(args, len(shape))
    if axes is None:
        return shape
    if len(shape) - 1 in axes:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _bins_over_range(args: argparse.Namespace, dtype: np.dtype) -> bool:
    """Whether ``histeq clahe`` bins this image over its range (:mod:`.deep_clahe`)."""
    return args.command == "clahe" and args.method == "opencv" and not args.dtype_bins and is_deep(dtype)


def _returns_floats(args: argparse.Namespace) -> bool:
    """Whether the command's method returns floats for integer images (scikit-image's)."""
    if args.command == "equalize":
        return equalize_method(args.method, np.dtype(np.uint8)).float_output and args.target is None
    return getattr(args, "method", None) == "skimage"


def process_file(args: argparse.Namespace, source: Path, output: Path) -> None:
    """Run the command ``args`` names on one file, ``source`` -> ``output``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line of ``equalize``, ``clahe``, ``exact`` or ``match``.
    source, output : Path
        The image to read and the file to write.
    """
    commands = {"equalize": _equalize_file, "clahe": _clahe_file, "exact": _exact_file, "match": _match_file}
    commands[args.command](args, source, output)


def _equalize_file(args: argparse.Namespace, source: Path, output: Path) -> None:
    """``histeq equalize`` on one file."""

    def transform(target: np.ndarray, colour: ImageColour, mask: np.ndarray | None) -> np.ndarray:
        return equalize(
            target,
            method=args.method,
            nbins=args.nbins,
            mask=mask,
            channel_axis=colour.channel_axis,
            target=args.target,
            out=_jpeg_pixels(args, output, target, colour),
            color=colour.color,
            keep_alpha=colour.keep_alpha,
            batch_axis=batch_axes(args, target.ndim),
            count_transparent=args.count_transparent,
        )

    _process_file(args, source, output, transform, args.mask)


def _jpeg_pixels(args: argparse.Namespace, output: Path, target: np.ndarray, colour: ImageColour) -> np.ndarray | None:
    """Where an equalized 8-bit RGB image bound for a JPEG file goes: an array
    laid out as Pillow's pixels, which the JPEG writer takes without a copy
    (None: let ``equalize`` allocate). Per channel and in the colour spaces,
    whose conversions write such pixels in place; not for ``"joint"``, nor
    for float results."""
    jpeg = args.format == "jpeg" if output == STREAM else format_of(output) == "JPEG"
    rgb = target.dtype == np.uint8 and target.ndim == 3 and target.shape[-1] == 3
    mode = colour.mode in ("channels", *LUMINANCE_SPACES)
    return padded_rgb(target.shape) if jpeg and rgb and mode and not _returns_floats(args) else None


#: ``histeq clahe --nbins`` (method opencv) on an image that has one bin per level.
_LEVEL_BINS = (
    "--nbins applies to float images and, without --dtype-bins, to images deeper than 8 bits: "
    "a {dtype} image here has one bin per level ({levels} bins, as cv2.createCLAHE)"
)


def _clahe_file(args: argparse.Namespace, source: Path, output: Path) -> None:
    """``histeq clahe`` on one file."""

    def axes(values: list[int] | None) -> int | tuple[int, ...] | None:
        return values[0] if values is not None and len(values) == 1 else (tuple(values) if values else None)

    def transform(target: np.ndarray, colour: ImageColour, mask: np.ndarray | None) -> np.ndarray:
        options: dict[str, Any] = {"clip_limit": args.clip_limit, "channel_axis": colour.channel_axis}
        options["color"] = colour.color
        options["batch_axis"] = batch_axes(args, target.ndim)
        if args.method in ("skimage", *CLAHE_IMAGE_METHODS):
            return histeq.clahe(
                target, method=args.method, kernel_size=axes(args.kernel_size), nbins=args.nbins, **options
            )
        options["tile_grid"] = axes(args.tile_grid)
        options["distribution"] = args.distribution or "uniform"
        if args.alpha is not None:
            options["alpha"] = args.alpha
        if _bins_over_range(args, target.dtype):
            return deep_clahe(target, nbins=args.nbins, **options)
        if args.nbins is not None and target.dtype.kind in "iu" and target.dtype.itemsize <= 2:
            raise ValueError(_LEVEL_BINS.format(dtype=target.dtype, levels=1 << (8 * target.dtype.itemsize)))
        return histeq.clahe(target, method="opencv", nbins=args.nbins, keep_alpha=colour.keep_alpha, **options)

    _process_file(args, source, output, transform, None)


def _exact_file(args: argparse.Namespace, source: Path, output: Path) -> None:
    """``histeq exact`` on one file."""

    def transform(target: np.ndarray, colour: ImageColour, mask: np.ndarray | None) -> np.ndarray:
        return histeq.exact_specification(
            target,
            target=args.target,
            filters=args.filters,
            channel_axis=colour.channel_axis,
            mask=mask,
            color=colour.color,
            keep_alpha=colour.keep_alpha,
            batch_axis=batch_axes(args, target.ndim),
            count_transparent=args.count_transparent,
        )

    _process_file(args, source, output, transform, args.mask)


def _match_file(args: argparse.Namespace, source: Path, output: Path) -> None:
    """``histeq match`` on one file (the reference is read once per process)."""
    reference, samples = _reference_samples(args.reference, args.max_pixels)

    def transform(target: np.ndarray, colour: ImageColour, mask: np.ndarray | None) -> np.ndarray:
        wanted = 1 if colour.channel_axis is None else target.shape[-1]
        if samples.shape[-1] != wanted:
            raise ValueError(
                f"reference {str(args.reference)!r} has {samples.shape[-1]} colour sample(s) "
                f"(shape {reference.shape}); the image has {wanted}"
            )
        ref = samples if colour.channel_axis is not None else samples[..., 0]
        matched = histeq.match_histograms(
            target,
            ref,
            channel_axis=colour.channel_axis,
            mask=mask,
            method=args.method,
            color=colour.color,
            batch_axis=batch_axes(args, target.ndim),
            count_transparent=args.count_transparent,
        )
        if matched.dtype == target.dtype or target.dtype.kind == "f":
            return matched.astype(target.dtype, copy=False)
        info = np.iinfo(target.dtype)  # "skimage": float levels, truncated as scikit-image writes them
        return np.clip(matched, info.min, info.max).astype(target.dtype)

    _process_file(args, source, output, transform, None, args.reference)


@functools.lru_cache(maxsize=1)  # read once per process, not once per file of a batch
def _reference_samples(path: Path, max_pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """The reference image and its colour samples, ``(H, W, samples)`` (grey: one)."""
    reference = read_image(path, max_pixels=max_pixels)
    colour, _ = split_alpha(reference)
    return reference, colour if colour_samples(reference.shape) else reference[..., None]


@functools.lru_cache(maxsize=1)  # read once per process, not once per file of a batch
def _read_mask(path: Path, max_pixels: int) -> np.ndarray:
    """The mask file as booleans (non-zero: counted); a grey image."""
    mask = read_image(path, max_pixels=max_pixels)
    if mask.ndim != 2:
        raise ValueError(f"mask {str(path)!r} must be a grey image; got shape {mask.shape}")
    return mask != 0


def _process_file(
    args: argparse.Namespace,
    source: Path,
    output: Path,
    transform: Transform,
    mask_path: Path | None,
    reference_path: Path | None = None,
) -> None:
    """Read ``source``, run ``transform(colour samples or grey image,
    channel_axis, mask)``, write the result in the input's dtype with the
    input's metadata to ``output`` (alpha kept), refusing to overwrite unless
    ``--force`` (or to write over the input, mask or reference file); with
    ``--plot``, the figure of input and result beside it.

    Both files or neither: the paths of both are checked (see
    :func:`_check_paths`) and the figure is drawn before the output is
    written; if the figure then cannot be written, the output is removed
    again (a rerun makes both)."""
    figure = plot_path(output) if args.plot and output != STREAM else None
    _check_paths(args, [path for path in (output, figure) if path is not None], source, mask_path, reference_path)
    image, metadata = read_image_with_metadata(_readable(source), max_pixels=args.max_pixels)
    one = item_shape(args, image.shape)
    samples = colour_samples(one)
    if figure is not None and one != image.shape:
        raise ValueError("--plot draws one image; a stack (--batch-axis) has many")
    mask = None
    if mask_path is not None:
        mask = _read_mask(mask_path, args.max_pixels)
        spatial = spatial_shape(one)
        if mask.shape != spatial:
            raise ValueError(f"mask {str(mask_path)!r} is {mask.shape}; the image is {spatial}")
    colour = image_colour(args, image.shape, image.dtype)
    _check_colour_dtype(args, colour, image.dtype)
    pixels, alpha = split_alpha(image, samples) if colour.split else (image, None)  # alpha is kept as it is
    if alpha is not None and _counts_visible_only(args):  # the library sees no alpha here
        visible = alpha[..., -1] > 0
        mask = visible if mask is None else visible & mask
    try:
        result = _to_dtype(transform(pixels, colour, mask), image.dtype)
    except ValueError as exc:
        raise _colour_hint(args, colour, image.dtype, exc) from exc
    if alpha is not None:  # the colour goes back in the input's dtype, float results too
        result = join_alpha(result.astype(image.dtype, copy=False), alpha)
    drawn = None
    if figure is not None:  # drawn before the output is written: a failure here writes nothing
        label = describe(args) if colour.mode is None else f"{describe(args)}, {colour.mode}"
        drawn = _figure_bytes([("input", without_alpha(image)), (label, without_alpha(result))], samples == 3)
    _write_output(args, output, result, metadata)
    if figure is not None and drawn is not None:
        _write_figure(figure, drawn, output, overwrite=args.force)


def _counts_visible_only(args: argparse.Namespace) -> bool:
    """Whether the command counts only visible pixels (alpha above 0) of an
    image whose alpha it takes off: not with ``--count-transparent``, not for
    CLAHE (no mask) nor scikit-image's matching (no masks either: it counts
    every pixel, as scikit-image)."""
    scikit_matching = args.command == "match" and args.method == "skimage"
    return not getattr(args, "count_transparent", True) and not scikit_matching


def _check_colour_dtype(args: argparse.Namespace, colour: ImageColour, dtype: np.dtype) -> None:
    """Refuse, before any work, an image the colour spaces cannot convert."""
    if colour.mode in LUMINANCE_SPACES and dtype not in COLOUR_DTYPES:
        kinds = ", ".join(str(d) for d in COLOUR_DTYPES)
        raise ValueError(
            f"--color {colour.mode}{_default_note(args)} converts {kinds} images; this one is {dtype}: "
            "use --color channels"
        )


def _colour_hint(args: argparse.Namespace, colour: ImageColour, dtype: np.dtype, exc: ValueError) -> ValueError:
    """The library's error, with what to do about it when a colour space
    refused a float image outside [0, 1]."""
    if colour.mode in LUMINANCE_SPACES and dtype.kind == "f" and "[0, 1]" in str(exc):
        return ValueError(
            f"{exc}; --color {colour.mode}{_default_note(args)} converts colours in [0, 1]: "
            "use --color channels for this image"
        )
    return exc


def _default_note(args: argparse.Namespace) -> str:
    """`` (the default for colour images)`` when ``--color`` was not given."""
    return " (the default for colour images)" if args.color is None else ""


def _check_paths(
    args: argparse.Namespace,
    written: list[Path],
    source: Path,
    mask_path: Path | None,
    reference_path: Path | None,
) -> None:
    """Refuse, before anything is read or written, files that would be written
    over the input, mask or reference file, that exist (without ``--force``),
    or that cannot be created: a missing or read-only folder, a name too long
    for the file system."""
    for path in written:
        what = "output" if path == written[0] else "figure"
        for name, given in (("input", source), ("mask", mask_path), ("reference", reference_path)):
            if given is not None and STREAM not in (given, path) and same_file(path, given):
                raise ValueError(f"{what} {str(path)!r} is the {name} file; write to another file")
    for path in written:
        if path == STREAM:
            continue
        if os.path.lexists(path) and not args.force:
            raise FileExistsError(f"{str(path)!r} already exists; use --force to replace it")
        check_writable(path, overwrite=True)


def _figure_bytes(panels: list[Panel], colour: bool) -> bytes:
    """The PNG file of the comparison figure of ``panels``, as
    :func:`histeq.plot.save_comparison` writes it."""
    figure = comparison_figure(panels, colour=colour)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI)
    return buffer.getvalue()


def _write_figure(path: Path, data: bytes, output: Path, *, overwrite: bool) -> None:
    """Write the figure's bytes; if that fails, remove ``output`` (just written) too."""

    def write(file: BinaryIO) -> None:
        file.write(data)

    try:
        write_safely(path, write, overwrite=overwrite)
    except OSError as exc:
        output.unlink(missing_ok=True)
        raise WriteError(f"{exc}; {str(output)!r} was removed again, so that a rerun writes both") from exc
    except BaseException:  # interrupted: neither file stays
        output.unlink(missing_ok=True)
        raise


def _readable(source: Path) -> Path | BinaryIO:
    """The file to read, or standard input for ``-``."""
    return sys.stdin.buffer if source == STREAM else source


def _write_output(args: argparse.Namespace, output: Path, result: np.ndarray, metadata: ImageMetadata) -> None:
    """Write ``result`` to the output file, or whole to standard output for ``-o -``."""
    if output != STREAM:
        write_image(output, result, metadata=metadata, overwrite=args.force, quality=_quality(args, format_of(output)))
        return
    if args.format is not None:
        file_format = args.format.upper()
    elif metadata.format in WRITE_FORMATS.values():
        file_format = metadata.format
    else:
        raise ValueError(f"cannot write a {metadata.format} image to standard output; choose a --format")
    quality = _quality(args, file_format)
    data = encode_image(result, file_format, metadata, quality=quality)  # whole before the first byte goes out
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _quality(args: argparse.Namespace, file_format: str) -> int | None:
    """``--quality`` for an output of ``file_format`` (None: the format's
    default, or a JPEG input's own tables; lossless formats have none)."""
    return args.quality if FORMATS_BY_NAME[file_format].lossy else None


def _to_dtype(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float results of the "skimage" method in [0, 1] back to the input's
    integer levels over the dtype's whole range (min + round(x * span))."""
    if values.dtype == dtype or dtype.kind == "f":
        return values
    return levels_from_fractions(values, dtype)


def compare(args: argparse.Namespace) -> None:
    """``histeq compare``: the image and its results by each method, side by side in a figure.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: ``input``, ``output``, ``methods``,
        ``colors``, ``clip_limit``, ``dtype_bins``, ``force``, ``max_pixels``.
        The CLAHE panel of an image deeper than 8 bits is binned over its
        range (:mod:`.deep_clahe`) unless ``dtype_bins``. A missing folder of
        the figure is created.
    """
    if args.input != STREAM and same_file(args.output, args.input):
        raise ValueError(f"output {str(args.output)!r} is the input file; write to another file")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries([args.output.parent], before=time.time())
    image = read_image(_readable(args.input), max_pixels=args.max_pixels)
    shown = without_alpha(image)
    colour = colour_samples(image.shape) == 3
    run_clahe = functools.partial(command_line_clahe, dtype_bins=args.dtype_bins)
    panels = compared_panels(
        shown, args.methods, colour=colour, colors=args.colors, clip_limit=args.clip_limit, clahe_function=run_clahe
    )
    save_comparison(args.output, panels, colour=colour, columns=len(args.methods) + 1, overwrite=args.force)
    colors = f"; colour: {', '.join(dict.fromkeys(args.colors))}" if colour and args.colors else ""
    print(f"{args.input} -> {args.output} (compare: {', '.join(args.methods)}{colors})")


def demo(args: argparse.Namespace) -> None:
    """``histeq demo``: every method on the built-in image, and the comparison figure.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: ``output`` (a folder) and ``force``.
    """
    from histeq.demo import run_demo, summary

    remove_stale_temporaries([args.output], before=time.time())
    written = run_demo(args.output, overwrite=args.force)
    print(summary(written))
    print(f"side by side: {args.output / 'comparison.png'}")
