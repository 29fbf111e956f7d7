"""``histeq video IN -o OUT``: equalize a video file, or a folder of frames, without flicker.

A video file is decoded and encoded again with PyAV (:mod:`histeq.io.video`;
the extra ``histeq[video]``): by default its Y plane is equalized as
decoded, the chroma, timestamps, audio and subtitles are kept. A folder of
images (``frames/*.png``, in natural name order: ``2.png`` before
``10.png``) is a video too: every frame is written to the output folder under
its own name. Frames go through :func:`histeq.equalize_video`, so
``--smoothing``, ``--scene-cut`` and ``--lookahead`` mean what they mean
there.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from histeq._core.colour_modes import COLOR_MODES
from histeq._core.methods import CLAHE_METHODS, EQUALIZE_METHODS
from histeq._core.targets import CLAHE_DISTRIBUTIONS, TARGET_DEFAULTS
from histeq.video import DEFAULT_SCENE_CUT, DEFAULT_SMOOTHING, equalize_video

#: ``--color``'s choices: ``y`` (the Y plane of the decoded frames) or a colour mode on RGB frames.
COLORS = ("y", *COLOR_MODES)
#: The colour mode of colour frames in image folders, as the image commands use.
_SEQUENCE_COLORS = {"equalize": "ycrcb", "clahe": "lab"}
#: Videos of at least this many pixels (frames x width x height; about 100
#: frames of 1080p) load the compiled kernels at once, on a thread of their
#: own: numpy's extra time on them (2 - 5 ns a pixel) would exceed the 0.3 -
#: 0.5 s of loading.
_LONG_VIDEO_PIXELS = 200_000_000
#: The files a folder of frames is made of.
FRAME_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp", ".webp", ".npy")


def add_parser(commands: Any) -> None:
    """Add the ``video`` subcommand to ``commands`` (argparse's subparsers)."""
    video = commands.add_parser(
        "video",
        help="equalize a video (or a folder of frames) without flicker",
        description="Equalize or CLAHE a video without flicker: every frame's histogram (CLAHE: every tile's) is "
        "smoothed over the frames before it, and a scene cut starts afresh. A video file is read and written "
        'with PyAV (pip install "histeq[video]"): its Y plane is equalized as decoded (output marked full '
        "range), frame count, frame rate, timestamps, audio and subtitles are kept. A folder of images is a "
        "video of its files in natural name order, written to the output folder under the same names.",
    )
    video.add_argument(
        "input", type=Path, help="a video file (.mp4, .mkv, .mov, .webm, .avi, ...) or a folder of images"
    )
    video.add_argument("-o", "--output", type=Path, required=True, help="the video file (or folder of images) to write")
    video.add_argument("--force", action="store_true", help="replace the output (or output frames) if it exists")
    temporal = video.add_argument_group("time")
    temporal.add_argument(
        "--smoothing",
        type=_non_negative,
        default=DEFAULT_SMOOTHING,
        help="time constant of the histogram smoothing, in frames; 0: each frame alone "
        f"(default {DEFAULT_SMOOTHING:g})",
    )
    temporal.add_argument(
        "--scene-cut",
        type=_scene_cut,
        default=DEFAULT_SCENE_CUT,
        help="histogram distance (earth mover's, a fraction of the range) above which a frame starts a new "
        f"scene; 'off': never (default {DEFAULT_SCENE_CUT:g})",
    )
    temporal.add_argument(
        "--lookahead",
        type=_frames_ahead,
        default=0,
        help="centred smoothing over this many frames ahead too (frames then wait that long; default 0)",
    )
    operation = video.add_argument_group("equalization")
    operation.add_argument("--operation", choices=("equalize", "clahe"), default="equalize", help="default: equalize")
    operation.add_argument(
        "--method",
        choices=sorted(set(EQUALIZE_METHODS) | set(CLAHE_METHODS)),
        help="the operation's method (default: opencv)",
    )
    operation.add_argument(
        "--color",
        choices=COLORS,
        help="y: the Y plane of the video as decoded (default for video files); a colour mode works on RGB "
        "frames (default for colour images in a folder: ycrcb, lab for clahe)",
    )
    operation.add_argument("--target", choices=tuple(TARGET_DEFAULTS), help="equalize: the histogram to specify")
    operation.add_argument("--nbins", type=int, help="bins for float frames")
    operation.add_argument("--clip-limit", type=float, help="clahe: the clip limit (opencv default 40, 2 to 4 typical)")
    operation.add_argument("--tile-grid", type=int, nargs="+", metavar="N", help="clahe: tiles per axis (default 8 8)")
    operation.add_argument("--kernel-size", type=int, nargs="+", metavar="N", help="clahe --method skimage: tile size")
    operation.add_argument("--distribution", choices=CLAHE_DISTRIBUTIONS, help="clahe: target histogram shape per tile")
    operation.add_argument("--alpha", type=float, help="clahe: rayleigh/exponential parameter")
    encoding = video.add_argument_group("encoding (video files)")
    encoding.add_argument(
        "--codec", help="FFmpeg encoder (default: libx264; libvpx-vp9 for .webm, mpeg4 for .avi; ffv1: lossless)"
    )
    encoding.add_argument("--crf", type=int, help="constant quality (libx264 default 18, libx265 20, VP9 32)")
    encoding.add_argument("--preset", help="x264/x265 speed preset (default: medium)")
    encoding.add_argument(
        "--codec-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another encoder option, as FFmpeg's -KEY VALUE (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``histeq video``; returns the exit status (errors are printed)."""
    from .report import error_text
    from .runner import report_interrupt, terminate_as_interrupt

    try:
        with terminate_as_interrupt():
            if args.input.is_dir():
                _run_folder(args)
            else:
                _run_file(args)
    except (OSError, ValueError, TypeError, ImportError) as exc:
        print(f"histeq: error: {error_text(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # the output is written whole or not at all
        return report_interrupt(exc)
    return 0


def _options(args: argparse.Namespace, colour: str | None) -> dict[str, Any]:
    """The keyword arguments of :func:`histeq.equalize_video`."""
    options: dict[str, Any] = {
        "operation": args.operation,
        "smoothing": args.smoothing,
        "scene_cut": args.scene_cut,
        "lookahead": args.lookahead,
    }
    names: tuple[str, ...] = ("method", "target", "nbins")
    if args.operation == "clahe":
        names = ("method", "nbins", "clip_limit", "tile_grid", "kernel_size", "distribution", "alpha")
    elif any(
        getattr(args, name) is not None for name in ("clip_limit", "tile_grid", "kernel_size", "distribution", "alpha")
    ):
        raise ValueError(
            "--clip-limit, --tile-grid, --kernel-size, --distribution and --alpha are options of --operation clahe"
        )
    for name in names:
        value = getattr(args, name)
        if value is not None:
            options[name] = tuple(value) if isinstance(value, list) else value
    if args.operation == "clahe" and args.target is not None:
        raise ValueError("--target is an option of --operation equalize")
    if colour is not None:
        options.update(channel_axis=-1, color=colour)
    equalize_video([], **options)  # smoothing, scene cut, look-ahead, options: checked before any work
    return options


def _run_file(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from histeq.backends import get_num_threads, set_num_threads
    from histeq.io.safe_write import remove_stale_temporaries
    from histeq.io.video import Encoding, container_of, import_av, probe, transcode

    import_av()  # what to install, before anything else
    container_of(args.output)
    colour = None if args.color in (None, "y") else args.color
    options = _options(args, colour)
    extra = {}
    for option in args.codec_option:
        key, equals, value = option.partition("=")
        if not (key and equals):
            raise ValueError(f"--codec-option takes KEY=VALUE; got {option!r}")
        extra[key] = value
    encoding = Encoding(args.codec, args.crf, args.preset, extra)
    remove_stale_temporaries([args.output.parent], before=time.time())
    info = probe(args.input)
    loading = None
    if not info.frames or info.frames * info.width * info.height >= _LONG_VIDEO_PIXELS:
        loading = threading.Thread(target=_load_kernels, args=(colour is None,), name="histeq-load", daemon=True)
        loading.start()
    threads = get_num_threads()
    set_num_threads(1)  # the encoder keeps every core busy: more kernel threads would only wait for it
    try:
        with tqdm(total=info.frames or None, unit="frame", file=sys.stderr, dynamic_ncols=True, disable=None) as bar:
            transcode(
                args.input,
                args.output,
                _levels(options),
                planes="y" if colour is None else "rgb",
                encoding=encoding,
                overwrite=args.force,
                progress=bar.update,
            )
    finally:
        set_num_threads(threads)
        if loading is not None:
            loading.join()


def _load_kernels(y_planes: bool) -> None:
    """The compiled kernels (numba), loaded while the video starts: numpy
    would serve the first frames of a long video and numba would then load
    in the middle of it (:func:`histeq.backends.kernels`)."""
    from histeq.backends import compiled

    kernels = compiled()
    if y_planes:
        kernels.plane_lut.warm()


def _run_folder(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from histeq.io import check_writable, read_image_with_metadata, write_image

    if args.color == "y":
        raise ValueError("--color y is the Y plane of a video file; a folder of images takes a colour mode")
    sources = _frames(args.input)
    outputs = [args.output / source.name for source in sources]
    if args.output.resolve() == args.input.resolve():
        raise ValueError("the output folder must not be the input folder (frames are written under their own names)")
    args.output.mkdir(parents=True, exist_ok=True)
    for output in outputs:  # every conflict before any work
        check_writable(output, overwrite=args.force)
    first, _ = read_image_with_metadata(sources[0])
    colour = args.color
    if colour is None and first.ndim == 3 and first.shape[-1] in (3, 4):
        colour = _SEQUENCE_COLORS[args.operation]
    options = _options(args, colour)
    if first.ndim == 3 and colour is None:
        options.update(channel_axis=-1, keep_alpha=first.shape[-1] in (2, 4))
    metadata = []

    def frames() -> Iterator[np.ndarray]:
        for source in sources:
            pixels, meta = read_image_with_metadata(source)
            metadata.append(meta)
            yield pixels

    with tqdm(total=len(sources), unit="frame", file=sys.stderr, dynamic_ncols=True, disable=None) as bar:
        try:
            for output, result in zip(outputs, _levels(options)(frames())):
                write_image(output, result, metadata=metadata[bar.n], overwrite=args.force)
                bar.update()
        except (ValueError, TypeError) as exc:  # a frame unlike the first: name its file
            raise type(exc)(f"{sources[len(metadata) - 1]}: {exc}") from exc


def _levels(options: dict[str, Any]) -> Callable[[Iterator[np.ndarray]], Iterable[np.ndarray]]:
    """Frames through :func:`histeq.equalize_video`; float results (the
    ``skimage`` methods) as levels of the frames' dtype, ``round(value * top)``."""

    def process(frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        first = next(frames, None)
        if first is None:
            return
        dtype = first.dtype

        def again() -> Iterator[np.ndarray]:
            yield first
            yield from frames

        for result in equalize_video(again(), **options):
            if result.dtype.kind == "f" and dtype.kind in "iu":
                top = np.iinfo(dtype).max
                result = np.rint(np.clip(result, 0.0, 1.0) * top).astype(dtype)
            yield result

    return process


def _frames(folder: Path) -> list[Path]:
    """The image files of ``folder`` (not below it), in natural name order."""
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FRAME_SUFFIXES]
    if not files:
        raise ValueError(f"folder {str(folder)!r} holds no frames ({', '.join(FRAME_SUFFIXES)} files)")
    return sorted(files, key=lambda p: [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", p.name)])


def _scene_cut(text: str) -> float | None:
    """``--scene-cut``: a number of at least 0, or ``off``."""
    if text.lower() in ("off", "none", "never"):
        return None
    return _non_negative(text)


def _non_negative(text: str) -> float:
    """A finite number of at least 0 (argparse then exits 2 with the usage line)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number; got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be finite and at least 0; got {text}")
    return value


def _frames_ahead(text: str) -> int:
    """A whole number of frames, at least 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of frames; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0 frames; got {value}")
    return value
