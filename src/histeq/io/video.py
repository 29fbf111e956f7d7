"""Video files through PyAV (FFmpeg): frames decoded, processed and encoded
again, the audio and subtitle streams copied as they are.

PyAV is the optional extra ``histeq[video]``; it is imported when a video is
read (:func:`import_av`), so ``import histeq.io`` stays light. Its wheels
bundle FFmpeg (8.1 in PyAV 18.1) with libx264, libx265, libvpx, libdav1d,
libsvtav1, libopus and libmp3lame.

Frames are processed in one of two ways:

- ``"y"`` (what ``histeq video`` does by default): the Y plane of YUV frames,
  as decoded, without a colour conversion. Frames of 8-bit planar YUV
  (4:2:0, 4:2:2, 4:4:4, NV12, ...) and grey are used as they are; others (10-bit,
  RGB, palette) are converted to 8-bit 4:2:0 first. The chroma planes are
  copied unchanged. An equalized Y spans the full 0 .. 255, so the output is
  marked full range (``color_range`` JPEG), or players would clip it to
  16 .. 235; colour matrix, primaries and transfer are the input's.
- ``"rgb"``: frames as 8-bit RGB ``(H, W, 3)`` (FFmpeg's conversion), encoded
  back from RGB.

Frames are decoded and processed on a thread of their own while the
calling thread encodes them. The output keeps the input's frame count,
frame timestamps (and so its frame rate, variable ones too) and time base;
audio and subtitle streams are remuxed, not re-encoded (data streams and
attachments are not copied). It is written to a temporary file in the
output's folder and renamed into place once complete
(:func:`histeq.io.safe_write.write_safely`): an interrupted run leaves no
output.
"""

from __future__ import annotations

import contextlib
import importlib
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

import numpy as np

from .safe_write import check_writable, signals_held, write_safely

#: What to install for video.
INSTALL_HINT = 'reading and writing video needs PyAV: pip install "histeq[video]"'

#: Output containers by file suffix.
CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".avi": "avi"}
#: The default encoder of each container, and its default options: libx264 at
#: CRF 18 (visually lossless for most footage) and the "medium" preset;
#: VP9 (WebM) at CRF 32 with constant quality; MPEG-4 part 2 (AVI) at qscale 3.
DEFAULT_CODECS = {"mp4": "libx264", "mov": "libx264", "matroska": "libx264", "webm": "libvpx-vp9", "avi": "mpeg4"}
DEFAULT_OPTIONS = {
    "libx264": {"crf": "18", "preset": "medium"},
    "libx265": {"crf": "20", "preset": "medium"},
    "libvpx-vp9": {"crf": "32", "b": "0"},
    "mpeg4": {"qscale": "3"},
}
#: 8-bit YUV (and grey) formats whose first plane is Y, processed as decoded.
Y_FORMATS = frozenset(
    {
        "yuv420p",
        "yuvj420p",
        "yuv422p",
        "yuvj422p",
        "yuv444p",
        "yuvj444p",
        "yuv440p",
        "yuvj440p",
        "yuv411p",
        "yuv410p",
        "nv12",
        "nv21",
        "gray",
    }
)
#: The full-range flag (FFmpeg's ``AVCOL_RANGE_JPEG``).
_FULL_RANGE = 2

#: The frames' pixels (an iterator) -> the processed pixels, one array per
#: frame (same shape, uint8), in order; results may come later than their
#: frames (look-ahead).
Process = Callable[[Iterator[np.ndarray]], Iterable[np.ndarray]]


class VideoError(ValueError):
    """A video that cannot be read, or an output that cannot be written as asked."""


@dataclass(frozen=True)
class Encoding:
    """How the output video stream is encoded.

    Attributes
    ----------
    codec : str, optional
        An FFmpeg encoder name (``libx264``, ``libx265``, ``libvpx-vp9``,
        ``libsvtav1``, ``ffv1``, ...). Default: the container's
        (:data:`DEFAULT_CODECS`).
    crf : int, optional
        The constant-quality factor of encoders that take one (lower: better
        and larger). Default: the codec's (:data:`DEFAULT_OPTIONS`).
    preset : str, optional
        The speed preset of x264/x265 (``ultrafast`` .. ``veryslow``).
    options : dict of str
        More encoder options, as FFmpeg's ``-KEY VALUE``.
    """

    codec: str | None = None
    crf: int | None = None
    preset: str | None = None
    options: dict[str, str] = field(default_factory=dict)

    def resolve(self, container: str) -> tuple[str, dict[str, str]]:
        """The encoder and its options for ``container``."""
        codec = self.codec or DEFAULT_CODECS[container]
        options = dict(DEFAULT_OPTIONS.get(codec, {}))
        if self.crf is not None:
            options["crf"] = str(self.crf)
        if self.preset is not None:
            options["preset"] = self.preset
        options.update(self.options)
        return codec, options


@dataclass(frozen=True)
class VideoInfo:
    """What a video file declares: ``frames`` (0: unknown), ``rate`` (None:
    unknown), ``width``, ``height`` and the streams copied along
    (``copied``: their types)."""

    frames: int
    rate: Fraction | None
    width: int
    height: int
    copied: tuple[str, ...]


def import_av() -> ModuleType:
    """PyAV, or ImportError saying what to install."""
    try:
        return importlib.import_module("av")
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc


def probe(source: Path) -> VideoInfo:
    """What ``source`` declares, without decoding it (VideoError if it is no video)."""
    with _open_input(source) as container:
        stream = _video_stream(container, source)
        return _info(container, stream)


def container_of(output: Path) -> str:
    """The container format of ``output``, from its suffix (VideoError for others)."""
    container = CONTAINERS.get(output.suffix.lower())
    if container is None:
        raise VideoError(
            f"cannot write {str(output)!r}: video files must end in {', '.join(CONTAINERS)} (the container)"
        )
    return container


def transcode(
    source: Path,
    output: Path,
    process: Process,
    *,
    planes: str = "y",
    encoding: Encoding | None = None,
    overwrite: bool = False,
    progress: Callable[[], None] | None = None,
) -> VideoInfo:
    """Decode ``source``, process its frames with ``process``, encode them to ``output``.

    Parameters
    ----------
    source, output : Path
        The video to read; the file to write (its suffix picks the container).
    process : callable
        ``process(pixels)`` takes an iterator of the frames' pixels
        (``planes="y"``: the Y plane, uint8 ``(H, W)``, read-only; ``"rgb"``:
        uint8 ``(H, W, 3)``) in display order and returns an iterable of the
        processed pixels (same shape, uint8), one per frame, in order. It may
        read ahead of what it returns (centred smoothing): frames wait, with
        their timestamps, until their results come.
    planes : {"y", "rgb"}
        What ``process`` sees (see the module's notes).
    encoding : Encoding, optional
        The encoder and its options (default: the container's).
    overwrite : bool
        Replace ``output`` if it exists.
    progress : callable, optional
        Called after each frame is encoded.

    Returns
    -------
    VideoInfo
        The input's, with ``frames`` the number of frames written.

    Raises
    ------
    ImportError
        Without PyAV (what to install).
    VideoError
        An unreadable or corrupt video, no video stream, an output suffix that
        is no container, an encoder FFmpeg does not have, streams the output
        container cannot hold, ``process`` returning another number of frames.
    FileExistsError, OSError
        As :func:`histeq.io.safe_write.write_safely`.

    Notes
    -----
    Decoding, ``process`` and the new frames run on a thread of their own,
    while this thread encodes (PyAV releases the GIL in FFmpeg's calls): the
    encoder, usually the slow half, never waits for a frame to be decoded
    and equalized. ``process`` runs on that thread. x264 and most encoders
    keep every core busy: histeq's kernels then do best on one thread
    (:func:`histeq.backends.set_num_threads`; ``histeq video`` sets it),
    which costs less CPU time than threads waiting for cores (the 1080p
    synthetic benchmark clip: 0.4 - 0.9 s of CPU less over 150 frames, 6 -
    11 % of the wall time; the natural one: no difference measured).

    Memory: the decoder's and encoder's queues of frames, the frames
    ``process`` reads ahead, up to :data:`HANDOVER_ITEMS` new frames waiting
    for the encoder; nothing grows with the video's length.
    """
    av = import_av()
    container = container_of(output)
    codec, options = (encoding or Encoding()).resolve(container)
    _check_codec(av, codec)
    check_writable(output, overwrite=overwrite)
    written = 0

    def write(file: BinaryIO) -> None:
        nonlocal written
        with _open_input(source) as reader:
            stream = _video_stream(reader, source)
            copied = [s for s in reader.streams if s.type in ("audio", "subtitle")]
            with av.open(file, mode="w", format=container) as writer:
                encoder = _add_encoder(writer, stream, codec, options, planes)
                targets = {s.index: _copy_stream(writer, s, output) for s in copied}
                items = _Handover()
                # decoding, processing and new frames on a thread of their own, encoding and muxing on this one
                worker = threading.Thread(
                    target=_produce,
                    args=(av, reader, stream, copied, source, targets, process, planes, items),
                    name="histeq-decode",
                    daemon=True,
                )
                try:
                    with signals_held():  # an interrupt lands once the thread runs and this try waits for it
                        worker.start()
                    for item in items:
                        if isinstance(item, av.VideoFrame):
                            _mux(writer, encoder.encode(item), output)
                            written += 1
                            if progress is not None:
                                progress()
                        else:
                            _mux(writer, [item], output)
                    _mux(writer, encoder.encode(None), output)
                finally:
                    items.stop()
                    if worker.ident is not None:  # started
                        with signals_held():  # FFmpeg must not be reading the containers when they close (a crash)
                            worker.join()

    write_safely(output, write, overwrite=overwrite)
    info = probe(source)
    return VideoInfo(written, info.rate, info.width, info.height, info.copied)


#: Frames (and copied packets) decoded and processed ahead of the encoder at most.
HANDOVER_ITEMS = 8


class _Stopped(Exception):
    """The encoding side stopped (an error or an interrupt there): the decoding thread ends."""


class _Handover:
    """The items the decoding thread hands to the encoding one, in order: new
    video frames and copied packets, then the end (or what the decoding
    thread raised, raised again on the encoding one)."""

    _END = object()

    def __init__(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(HANDOVER_ITEMS)
        self._stopped = threading.Event()

    def put(self, item: Any) -> None:
        """Hand ``item`` over (waits while the queue is full); _Stopped once the encoding side stopped."""
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue
        raise _Stopped

    def end(self, error: BaseException | None = None) -> None:
        with contextlib.suppress(_Stopped):
            self.put((self._END, error))

    def stop(self) -> None:
        """The encoding side stops: the decoding thread's next hand-over raises _Stopped."""
        self._stopped.set()

    def __iter__(self) -> Iterator[Any]:
        while True:
            item = self._queue.get()
            if isinstance(item, tuple) and len(item) == 2 and item[0] is self._END:
                if item[1] is not None:
                    raise item[1]
                return
            yield item


def _produce(
    av: ModuleType,
    reader: Any,
    stream: Any,
    copied: list[Any],
    source: Path,
    targets: dict[int, Any],
    process: Process,
    planes: str,
    items: _Handover,
) -> None:
    """The decoding thread: frames decoded and processed, new frames and the
    copied streams' packets handed over in file order."""
    waiting: deque[Any] = deque()  # decoded frames whose results have not come yet

    def pixels() -> Iterator[np.ndarray]:
        for item in _demux(av, reader, stream, copied, source):
            if not isinstance(item, av.VideoFrame):
                if item.dts is not None:  # flush packets carry no data
                    item.stream = targets[item.stream.index]
                    items.put(item)
                continue
            if planes == "y" and item.format.name not in Y_FORMATS:
                item = item.reformat(format="yuv420p")
            waiting.append(item)
            yield item.to_ndarray(format="rgb24") if planes == "rgb" else _y_plane(item)

    made = 0
    try:
        for result in process(pixels()):
            if not waiting:
                raise VideoError("the processing returned more frames than the video has")
            items.put(_frame(av, waiting.popleft(), result, planes))
            made += 1
        if waiting:
            raise VideoError(f"the processing returned {made} frames for {made + len(waiting)}")
    except _Stopped:
        return
    except BaseException as exc:  # raised again on the encoding thread
        items.end(exc)
        return
    items.end()


def _open_input(source: Path) -> Any:
    av = import_av()
    try:
        return av.open(str(source), mode="r")
    except FileNotFoundError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise VideoError(f"cannot read {str(source)!r} as a video: {_reason(exc)}") from exc


def _video_stream(container: Any, source: Path) -> Any:
    if not container.streams.video:
        raise VideoError(f"{str(source)!r} has no video stream")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"  # frame and slice threads: decoding is the slow half
    return stream


def _info(container: Any, stream: Any) -> VideoInfo:
    rate = stream.average_rate or stream.guessed_rate
    copied = tuple(s.type for s in container.streams if s.type in ("audio", "subtitle"))
    return VideoInfo(stream.frames, Fraction(rate) if rate else None, stream.width, stream.height, copied)


def _check_codec(av: ModuleType, codec: str) -> None:
    try:
        found = av.codec.Codec(codec, "w")
    except (av.error.FFmpegError, ValueError):
        found = None
    if found is None or found.type != "video":
        raise VideoError(f"codec {codec!r} is not a video encoder of this FFmpeg (PyAV {av.__version__})")


def _add_encoder(writer: Any, stream: Any, codec: str, options: dict[str, str], planes: str) -> Any:
    encoder = writer.add_stream(codec, rate=stream.average_rate or stream.guessed_rate or 25, options=options)
    encoder.width, encoder.height = stream.width, stream.height
    decoded = stream.codec_context.format
    formats = {f.name for f in (encoder.codec.video_formats or ())}
    pixel_format = decoded.name if decoded is not None and decoded.name in Y_FORMATS else "yuv420p"
    if planes == "rgb" or pixel_format not in formats:
        pixel_format = "yuv420p" if "yuv420p" in formats or not formats else sorted(formats)[0]
    encoder.pix_fmt = pixel_format
    encoder.time_base = stream.time_base
    encoder.codec_context.time_base = stream.time_base
    source = stream.codec_context
    for name in ("colorspace", "color_primaries", "color_trc"):
        setattr(encoder.codec_context, name, getattr(source, name))
    if planes == "y":
        encoder.codec_context.color_range = _FULL_RANGE
    return encoder


def _copy_stream(writer: Any, stream: Any, output: Path) -> Any:
    try:
        return writer.add_stream_from_template(stream)
    except Exception as exc:  # PyAV raises ValueError or FFmpeg's errors here
        raise VideoError(
            f"cannot write {str(output)!r}: its container cannot hold the input's {stream.type} stream "
            f"({stream.codec_context.name}); choose another suffix (.mkv holds most)"
        ) from exc


def _demux(av: ModuleType, reader: Any, stream: Any, copied: list[Any], source: Path) -> Iterator[Any]:
    """Decoded video frames and the packets of the copied streams, in file order."""
    try:
        for packet in reader.demux(stream, *copied):
            if packet.stream.index != stream.index:
                yield packet
                continue
            yield from packet.decode()
    except av.error.FFmpegError as exc:
        raise VideoError(f"cannot decode {str(source)!r}: {_reason(exc)}") from exc


def _mux(writer: Any, packets: Any, output: Path) -> None:
    av = import_av()
    try:
        for packet in packets:
            writer.mux(packet)
    except av.error.FFmpegError as exc:
        raise VideoError(f"cannot write {str(output)!r}: {_reason(exc)}") from exc


def _y_plane(frame: Any) -> np.ndarray:
    """The Y plane of a decoded frame (8-bit YUV or grey): a read-only view."""
    return _rows(frame.planes[0])[:, : frame.width]


def _frame(av: ModuleType, frame: Any, result: np.ndarray, planes: str) -> Any:
    """A new frame: ``frame``'s pixels replaced by ``result`` (its Y plane,
    or RGB), its chroma and timestamps kept."""
    if planes == "rgb":
        new = av.VideoFrame.from_ndarray(np.ascontiguousarray(result, dtype=np.uint8), format="rgb24")
    else:
        new = av.VideoFrame(frame.width, frame.height, frame.format.name)
        for source_plane, target_plane in zip(frame.planes[1:], new.planes[1:]):
            rows, target_rows = _rows(source_plane), _rows(target_plane)
            width = min(rows.shape[1], target_rows.shape[1])  # whole rows: chroma may be interleaved (NV12)
            target_rows[:, :width] = rows[:, :width]
        _rows(new.planes[0])[:, : frame.width] = result
    new.pts, new.time_base = frame.pts, frame.time_base
    return new


def _rows(plane: Any) -> np.ndarray:
    """A plane's bytes as uint8 rows, padding included (a view)."""
    return np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
