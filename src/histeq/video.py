"""``histeq.VideoEqualizer`` and ``histeq.equalize_video``: video without flicker.

Equalizing each frame on its own makes a video flicker: when a bright object
enters, the mapping of the whole frame changes and a static background jumps
by tens of levels. Here a video is a new way of producing counts for the
plans of still images: each frame's histograms (for CLAHE, every tile's)
enter an exponentially weighted mean over the frames of its scene, and the
frame is mapped by the plan built from that mean, with the plan code and the
apply kernels of :func:`histeq.equalize` and :func:`histeq.clahe`.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Iterator
from typing import Any, overload

import numpy as np

from ._video.steps import OPTIONS, clahe_setup, equalize_setup
from ._video.stream import FrameStream

__all__ = ["DEFAULT_SCENE_CUT", "DEFAULT_SMOOTHING", "VideoEqualizer", "equalize_video"]

#: The default time constant of the smoothing, in frames: the newest frame
#: weighs ``1 - exp(-1/20) = 0.049`` in the steady state.
DEFAULT_SMOOTHING = 20.0
#: The default scene-cut distance (a fraction of the bin range; see
#: :class:`VideoEqualizer`).
DEFAULT_SCENE_CUT = 0.15

_SETUPS = {"equalize": equalize_setup, "clahe": clahe_setup}


class VideoEqualizer:
    """Equalize the frames of a video one after the other, without flicker.

    Each frame's histograms are smoothed over the frames before it, and the
    frame is mapped by the plan of the smoothed histograms, made by the same
    plan code as :func:`histeq.equalize` (or :func:`histeq.clahe`) uses for a
    still image.

    Parameters
    ----------
    operation : {"equalize", "clahe"}
        Global equalization (:func:`histeq.equalize`) or CLAHE
        (:func:`histeq.clahe`; every tile's histogram is smoothed).
    smoothing : float >= 0
        The time constant of an exponentially weighted mean of the
        histograms, in frames: after frames ``h_0 .. h_t`` of a scene the
        plan's histogram is ``sum_k a**k h_(t-k) / sum_k a**k`` with
        ``a = exp(-1 / smoothing)`` (a frame's weight falls by ``e`` every
        ``smoothing`` frames; the newest frame weighs 0.049 for the default
        20, made into integer counts that keep the frame's number of pixels:
        ``diff(rint(cumsum(mean)))``). 0: every frame on its own, bit-identical
        to ``equalize(frame, **options)`` (``clahe``) for every option.
    scene_cut : float >= 0 or None
        A frame whose histograms are farther than this from the smoothed
        ones starts a new scene: the state forgets the earlier frames, so
        the frame is equalized on its own (bit-identical to per-frame
        equalization) and the next ones smooth from it. The distance is the
        earth mover's distance between the normalized histograms in units of
        the bin range, ``sum |cdf_frame - cdf_state| / (bins - 1)``: 0 for
        equal histograms, ``d / (bins - 1)`` when every pixel moved by ``d``
        bins, 1 when all moved from the first bin to the last; averaged over
        the histograms (channels, CLAHE's tiles). A bright object entering a
        tenth of the frame moves the histogram by about 0.05; a cut between
        two scenes typically by 0.2 and more. Default 0.15. None: never (but
        a frame whose number of bins differs from the state's, as float
        frames' may, always starts a new scene).
    **options
        The options of the operation: for ``"equalize"`` ``method``,
        ``nbins``, ``mask`` (one mask for every frame), ``channel_axis``,
        ``target``, ``color``, ``channel_order``, ``keep_alpha``; for
        ``"clahe"`` ``clip_limit``, ``tile_grid``, ``method``,
        ``kernel_size``, ``nbins``, ``bit_shift``, ``distribution``,
        ``alpha``, ``channel_axis``, ``color``, ``channel_order``,
        ``keep_alpha``. ``channel_axis`` is an axis of a frame. They are
        checked against the first frame, as the operation checks them
        against an image.

    Attributes
    ----------
    frames : int
        Frames equalized since the start (or :meth:`reset`).
    cuts : list of int
        The frames (counted from the start) that began a new scene.

    Notes
    -----
    Bins: 8- and 16-bit frames have bins fixed by their dtype. Float frames
    (and integers wider than 16 bits) are binned over each frame's own
    range, as the operation bins a still image, and their histograms are
    smoothed bin by bin: for footage whose range changes, convert the frames
    to uint16 first. scikit-image's CLAHE requantizes each frame by its own
    min and max, as scikit-image does.

    State: per histogram (per channel, or per CLAHE tile) the smoothed
    histogram in float64 and the last frame's counts in int64, 16 bytes a
    bin: 4 KB for an 8-bit grey frame, 64 MB for 16-bit CLAHE on 64 tiles of
    65536 bins; whatever the number of frames. Per frame, the memory of the
    operation on that frame, plus its histograms (for CLAHE, all tiles' at
    once, int64) and the smoothed ones made integer.

    Examples
    --------
    >>> import numpy as np, histeq
    >>> video = histeq.VideoEqualizer(smoothing=20)
    >>> frames = np.random.default_rng(0).integers(60, 90, size=(5, 48, 64), dtype=np.uint8)
    >>> out = [video.apply(frame) for frame in frames]
    >>> bool(np.array_equal(out[0], histeq.equalize(frames[0])))  # a scene's first frame: on its own
    True
    """

    def __init__(
        self,
        *,
        operation: str = "equalize",
        smoothing: float = DEFAULT_SMOOTHING,
        scene_cut: float | None = DEFAULT_SCENE_CUT,
        **options: Any,
    ) -> None:
        self._stream = _stream(operation, smoothing, scene_cut, 0, options)
        self.operation, self.smoothing, self.scene_cut = operation, float(smoothing), scene_cut

    @property
    def frames(self) -> int:
        return self._stream.frames

    @property
    def cuts(self) -> list[int]:
        return list(self._stream.cuts)

    def apply(self, frame: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
        """Equalize the next frame of the video.

        Parameters
        ----------
        frame : ndarray
            The frame: the shape and dtype of the first frame (since
            :meth:`reset`). Not modified (unless it is ``out``).
        out : ndarray, optional
            Where to write the result (the frame's shape, the result's
            dtype); may be ``frame`` itself. Returned as given.

        Returns
        -------
        ndarray
            The equalized frame: the frame's shape, the dtype the operation
            returns for it.

        Raises
        ------
        TypeError, ValueError
            What the operation refuses in an image or its options (checked on
            the first frame), a frame whose shape or dtype differs from the
            first frame's, a ``numpy.ma.MaskedArray`` (pass ``mask=``).
        """
        (result,) = self._stream.push(frame, out)
        return result

    def reset(self) -> None:
        """Forget every frame: the next one starts a new video (of any shape and dtype)."""
        self._stream.reset()


@overload
def equalize_video(
    frames: np.ndarray,
    *,
    operation: str = ...,
    smoothing: float = ...,
    scene_cut: float | None = ...,
    lookahead: int = ...,
    **options: Any,
) -> np.ndarray: ...


@overload
def equalize_video(
    frames: Iterable[np.ndarray],
    *,
    operation: str = ...,
    smoothing: float = ...,
    scene_cut: float | None = ...,
    lookahead: int = ...,
    **options: Any,
) -> Iterator[np.ndarray]: ...


def equalize_video(
    frames: np.ndarray | Iterable[np.ndarray],
    *,
    operation: str = "equalize",
    smoothing: float = DEFAULT_SMOOTHING,
    scene_cut: float | None = DEFAULT_SCENE_CUT,
    lookahead: int = 0,
    **options: Any,
) -> np.ndarray | Iterator[np.ndarray]:
    """Equalize a video without flicker: every frame as :class:`VideoEqualizer` does.

    Parameters
    ----------
    frames : ndarray (T, ...) or iterable of ndarray
        An array whose first axis is time (``(T, H, W)``, ``(T, H, W, C)``,
        ...), or any iterable of frames (a decoder, a generator): then the
        result is an iterator and frames are read one at a time, so a video
        never has to fit in memory.
    operation, smoothing, scene_cut, **options
        As in :class:`VideoEqualizer` (``channel_axis``: an axis of a frame).
    lookahead : int >= 0
        Centred smoothing, for files: each frame's histograms are the
        weighted mean of the frames before it (as without look-ahead) and of
        the next ``lookahead`` frames of its scene, frame ``t + k`` weighted
        ``a**k`` as frame ``t - k`` is, so the mapping changes before an
        object enters as much as after, without lag. Latency: a frame comes
        out once the ``lookahead`` frames after it are read; memory:
        ``lookahead`` frames (pixels, their results and histograms). With
        look-ahead only ``smoothing=0`` is bit-identical to per-frame
        equalization (a scene's first frame is smoothed with the next ones).
        Frames must not change after they are given. 0 (default): causal.

    Returns
    -------
    ndarray or iterator of ndarray
        An array of ``frames``' shape (the dtype the operation returns) for
        an array; else an iterator of equalized frames, one per frame, in
        order.

    Raises
    ------
    TypeError, ValueError
        For ``smoothing``, ``scene_cut``, ``lookahead`` or ``operation``
        out of range, unknown options, and what :meth:`VideoEqualizer.apply`
        raises (an iterator raises when the frame is reached).
    """
    lookahead = _check_lookahead(lookahead)
    stream = _stream(operation, smoothing, scene_cut, lookahead, options)
    if isinstance(frames, np.ndarray) and not isinstance(frames, np.ma.MaskedArray):
        if frames.ndim < 2 or frames.shape[0] == 0:
            raise ValueError(f"frames must be an array of at least one frame, time first; got shape {frames.shape}")
        return _run_array(stream, frames, lookahead)
    if isinstance(frames, (str, bytes)) or not isinstance(frames, Iterable):
        raise TypeError(f"frames must be an array (time first) or an iterable of frames; got {type(frames).__name__}")
    return _run(stream, frames)


def _run_array(stream: FrameStream, frames: np.ndarray, lookahead: int) -> np.ndarray:
    # Results written into one array as they come (without look-ahead, the
    # kernels write there directly).
    result: np.ndarray | None = None
    done = 0
    for t in range(frames.shape[0] + 1):
        if t < frames.shape[0]:
            target = None if result is None or lookahead else result[t]
            finished = stream.push(frames[t], target)
        else:
            finished = stream.flush()
        for frame in finished:
            if result is None:
                result = np.empty(frames.shape, frame.dtype)
            if frame is not result[done]:
                result[done] = frame
            done += 1
    assert result is not None  # every frame was finished
    return result


def _run(stream: FrameStream, frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    for frame in frames:
        yield from stream.push(frame)
    yield from stream.flush()


def _stream(operation: object, smoothing: object, scene_cut: object, lookahead: int, options: dict) -> FrameStream:
    """The checked arguments as a :class:`FrameStream` (errors name the parameter)."""
    if not isinstance(operation, str) or operation not in _SETUPS:
        raise ValueError(f"operation must be one of {', '.join(map(repr, _SETUPS))}; got {operation!r}")
    unknown = sorted(set(options) - set(OPTIONS[operation]))
    if unknown:
        raise TypeError(
            f"{', '.join(unknown)} {'is not an option' if len(unknown) == 1 else 'are not options'} of "
            f"operation={operation!r}; its options are {', '.join(OPTIONS[operation])}"
        )
    return FrameStream(
        _SETUPS[operation], dict(options), _check_number("smoothing", smoothing), _check_scene_cut(scene_cut), lookahead
    )


def _check_number(name: str, value: object) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {value!r}")
    number = float(value)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"{name} must be finite and at least 0; got {value!r}")
    return number


def _check_scene_cut(scene_cut: object) -> float | None:
    return None if scene_cut is None else _check_number("scene_cut", scene_cut)


def _check_lookahead(lookahead: object) -> int:
    try:
        if isinstance(lookahead, (bool, np.bool_)):
            raise TypeError
        frames = operator.index(lookahead)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"lookahead must be a whole number of frames; got {lookahead!r}") from None
    if frames < 0:
        raise ValueError(f"lookahead must be at least 0 frames; got {frames}")
    return frames
