"""One record per method: the single place that says what a method is.

An equalization :class:`Method` names its plan (counts -> mapping, in
:mod:`.plans`), the dtype it returns, the dtypes it accepts and whether it
takes a target histogram. ``equalize``, the plan-as-a-value API, the command
line's choices and the comparison figure all read :data:`EQUALIZE_METHODS`;
adding a method means adding its plan function and one record here.
CLAHE's and matching's methods are algorithms of their own; their names
and defaults are recorded here too, so that every caller reads one list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

import numpy as np

from . import peer_plans, plans
from .binning import Binning, Mapping
from .levels import skimage_float_dtype

if TYPE_CHECKING:  # the image tools' frames are imported when they run (an equalization of a file needs none)
    from .ffmpeg import FFmpegOptions

#: A plan: int64 counts over a binning -> the mapping of every bin (None: the
#: image stays as it is), in the output dtype; the last argument is the
#: target's float64 weights per output level, for methods that take one.
PlanFunction = Callable[[np.ndarray, Binning, np.dtype, "np.ndarray | None"], "Mapping | None"]
#: A method that maps whole colour images itself (ffmpeg, ImageMagick):
#: ``frames(image, channel_axis, mask, out, channel_order, keep_alpha)`` ->
#: the result, or None where the method's plan gives the same.
FrameFunction = Callable[
    [np.ndarray, "int | None", "np.ndarray | None", "np.ndarray | None", str, bool], "np.ndarray | None"
]


@dataclass(frozen=True)
class Method:
    """What an equalization method is.

    Attributes
    ----------
    name : str
        The ``method=`` value.
    summary : str
        One line for help texts.
    plan : callable
        ``plan(counts, binning, out_dtype, weights) -> mapping or None``.
    float_output : bool
        False: the result has the input's dtype (integers over the dtype's
        range, floats in [0, 1]); True: scikit-image's float dtype (float32
        for float16/32 input, float64 otherwise).
    dtypes : tuple of numpy dtypes, or None
        The accepted input dtypes; None: every integer and float dtype.
    takes_target : bool
        Whether ``target=`` (histogram specification) selects this method.
    maps_values : bool
        The plan maps pixel values by interpolation (scikit-image), not
        bins through a LUT; integers are then counted one bin per level.
    frames : callable, optional
        Maps colour images as the tool does when ``color`` is left unset
        (ffmpeg's filter: one luma histogram, red, green and blue scaled
        together; ImageMagick and ImageJ: one intensity histogram, one map
        for all);
        None for methods that are their plan alone.
    """

    name: str
    summary: str
    plan: PlanFunction
    float_output: bool = False
    dtypes: tuple[np.dtype, ...] | None = None
    takes_target: bool = False
    maps_values: bool = False
    frames: FrameFunction | None = None

    def output_dtype(self, dtype: np.dtype) -> np.dtype:
        """The dtype of the result for an input of ``dtype``."""
        return skimage_float_dtype(dtype) if self.float_output else dtype

    def check_dtype(self, dtype: np.dtype) -> None:
        """Raise TypeError if the method does not take images of ``dtype``."""
        if self.dtypes is not None and dtype not in self.dtypes:
            accepted = ", ".join(str(d) for d in self.dtypes)
            raise TypeError(
                f"method={self.name!r} reproduces a library that equalizes {accepted} images only; "
                f"got dtype {dtype} (use method='opencv' for other dtypes)"
            )


#: The dtypes the image tools read: 8- and 16-bit unsigned integers.
_WORDS = (np.dtype(np.uint8), np.dtype(np.uint16))
#: How ``method=`` names ffmpeg's filter, alone or before its options (:mod:`.ffmpeg`).
FFMPEG = "ffmpeg"


def ffmpeg_method(spec: str) -> Method:
    """The record of ffmpeg's ``histeq`` filter with the options of ``spec``
    (``"ffmpeg"`` or ``"ffmpeg:strength=S:intensity=I:antibanding=A"``, see
    :mod:`.ffmpeg`); ValueError naming ``method`` for bad options. Its plan
    and frames import :mod:`.ffmpeg` and read the options when they run:
    the record of the defaults, made at import, loads none of it."""
    if spec != FFMPEG:  # options: checked now, when the method is named
        _ffmpeg_options(spec)
    return Method(
        spec,
        "ffmpeg's histeq filter (luma histogram; RGB frames scaled by lut[luma] / luma)",
        partial(_ffmpeg_plan, spec),
        dtypes=(np.dtype(np.uint8),),
        frames=partial(_ffmpeg_frames, spec),
    )


@lru_cache(maxsize=32)
def _ffmpeg_options(spec: str) -> FFmpegOptions:
    """The options of ``spec`` (:func:`.ffmpeg.parse_ffmpeg`), its module
    imported only here; parsed once per spec, not for every plan (a video's
    frames) that reads them (the options are frozen)."""
    from .ffmpeg import parse_ffmpeg

    return parse_ffmpeg(spec)


def _ffmpeg_plan(
    spec: str, counts: np.ndarray, binning: Binning, out_dtype: np.dtype, target: np.ndarray | None
) -> Mapping | None:
    """ffmpeg's plan (:func:`.peer_plans.ffmpeg`) with the options of ``spec``."""
    options = _ffmpeg_options(spec)
    if options.antibanding != "none":  # ffmpeg's antibanding dithers pixel by pixel: no LUT plans it
        raise ValueError(f"method {spec!r} dithers every pixel on its own (antibanding); it has no plan of its counts")
    strength, intensity = options.strength_permille, options.intensity_permille
    return peer_plans.ffmpeg(counts, binning, out_dtype, target, strength=strength, intensity=intensity)


def _ffmpeg_frames(spec: str, *frame: Any) -> np.ndarray | None:
    """ffmpeg's frames (:func:`.ffmpeg.equalize_frames`) with the options of ``spec``."""
    from .ffmpeg import equalize_frames

    return partial(equalize_frames, options=_ffmpeg_options(spec))(*frame)


def _imagej_colour(*frame: Any, classic: bool) -> np.ndarray | None:
    """ImageJ's colour frames (:func:`.tool_frames.imagej_colour`), imported when they run."""
    from .tool_frames import imagej_colour

    return imagej_colour(*frame, classic=classic)


def _magick_colour(*frame: Any) -> np.ndarray | None:
    """ImageMagick's colour frames (:func:`.tool_frames.magick_colour`), imported when they run."""
    from .tool_frames import magick_colour

    return magick_colour(*frame)


#: The equalization methods, in the order the docs list them.
EQUALIZE_METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Method("opencv", "cv2.equalizeHist: (cdf - cdf_min) scaled, half to even (default)", plans.opencv),
        Method("textbook", "Gonzalez & Woods: top * cdf / N, rounded", plans.textbook),
        Method(
            "skimage",
            "skimage.exposure.equalize_hist: float output",
            plans.skimage,
            float_output=True,
            maps_values=True,
        ),
        Method("pillow", "PIL.ImageOps.equalize (8-bit only)", plans.pillow, dtypes=(np.dtype(np.uint8),)),
        Method("matlab", "MATLAB histeq: 64 equally populated levels, or a target", plans.matlab, takes_target=True),
        Method("bbhe", "brightness preserving, split at the mean (Kim 1997)", plans.bbhe),
        Method("dsihe", "brightness preserving, split at the median (Wang 1999)", plans.dsihe),
        Method(
            "imagej",
            "ImageJ Enhance Contrast > Equalize (sqrt of counts)",
            peer_plans.imagej,
            dtypes=_WORDS,
            frames=partial(_imagej_colour, classic=False),
        ),
        Method(
            "imagej-classic",
            "ImageJ's classic equalization",
            peer_plans.imagej_classic,
            dtypes=_WORDS,
            frames=partial(_imagej_colour, classic=True),
        ),
        Method(
            "imagemagick",
            "ImageMagick 6 Q16 -equalize (colour: one intensity histogram)",
            peer_plans.imagemagick,
            dtypes=_WORDS,
            frames=_magick_colour,
        ),
        Method("vips", "libvips hist_equal", peer_plans.vips, dtypes=_WORDS),
        ffmpeg_method(FFMPEG),
    )
}
#: The method that ``target=`` uses.
TARGET_METHOD = "matlab"
#: The default ``method=`` of ``equalize``.
DEFAULT_METHOD = "opencv"


def equalize_method(name: object, dtype: np.dtype, *, target: bool = False) -> Method:
    """The record of ``method=name`` for an image of ``dtype``; with a
    ``target``, the target method (``name`` must be the default or it);
    ``"ffmpeg:OPTIONS"``, ffmpeg's filter with those options.
    Raises ValueError for unknown names and TypeError for refused dtypes."""
    if isinstance(name, str) and name.startswith(FFMPEG + ":"):  # the filter with its options
        method = ffmpeg_method(name)
        if target:
            raise ValueError(
                f"target is specified with MATLAB's rule (method {TARGET_METHOD!r}); ffmpeg takes no target"
            )
        method.check_dtype(dtype)
        return method
    if not isinstance(name, str) or name not in EQUALIZE_METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, EQUALIZE_METHODS))}; got {name!r}")
    if target:
        if name not in (DEFAULT_METHOD, TARGET_METHOD):
            raise ValueError(
                f"target is specified with MATLAB's rule (method {TARGET_METHOD!r}); method={name!r} takes no target"
            )
        name = TARGET_METHOD
    method = EQUALIZE_METHODS[name]
    method.check_dtype(dtype)
    return method


@dataclass(frozen=True)
class ClaheMethod:
    """A CLAHE algorithm: its name, summary and default clip limit."""

    name: str
    summary: str
    default_clip: float


#: CLAHE's methods. Clip limits: OpenCV's is a multiple of the mean bin
#: height (default 40), scikit-image's a fraction of the window (0.01).
CLAHE_METHODS: dict[str, ClaheMethod] = {
    method.name: method
    for method in (
        ClaheMethod("opencv", "cv2.createCLAHE(...).apply, in 1-D, 2-D and 3-D (default)", 40.0),
        ClaheMethod("skimage", "skimage.exposure.equalize_adapthist: float output", 0.01),
    )
}
#: CLAHE methods that only histeq.clahe's in-memory path runs (Dask arrays
#: and video refuse them): ImageMagick's clip limit is a multiple of the mean bin height.
CLAHE_IMAGE_METHODS: dict[str, ClaheMethod] = {
    "imagemagick": ClaheMethod(
        "imagemagick", "ImageMagick 7 -clahe (its Q8 build: CLAHE on the L of its Lab), uint8", 3.0
    ),
}

#: Histogram matching's methods and their summaries.
MATCH_METHODS: dict[str, str] = {
    "histeq": "output in the image's dtype, rounded (default)",
    "skimage": "skimage.exposure.match_histograms to the last bit",
}
