"""Colour images through one luminance plane: split it off, process it, merge it back.

``split_luminance(image, space)`` computes the luminance plane of an RGB (or
BGR) image whose colour is its last axis; the caller equalizes that plane like
a grey image, and ``Luminance.merge(new_plane, out)`` writes the colour image
with the new luminance and the original chroma. Nothing but the plane is
stored: the merge recomputes each pixel's chroma from the original image,
which must therefore not change in between (``out`` may be the image itself).

Spaces and what they reproduce:

``"ycrcb"``
    OpenCV's YCrCb (BT.601). uint8 and uint16: bit for bit, OpenCV's 14-bit
    integer formulas both ways, so ``merge(cv2.equalizeHist(plane))`` is the
    whole cvtColor / equalizeHist / cvtColor round trip. float32: OpenCV's
    float coefficients with its fused multiply-adds in its order, bit for bit
    with cv2's vectorised loop where cv2 runs it with FMA (AVX2 CPUs); rows
    narrower than cv2's vectors go through its scalar code, whose rounding
    differs by up to 1 ulp (as does a cv2 without FMA). float64 (cv2 has
    none): the same coefficients in plain float64 arithmetic. Plane: Y, the
    image's dtype. Float results are not clipped (as cv2).
``"lab"``
    uint8: OpenCV's 8-bit L*a*b* bit for bit both ways (plane: cv2's L,
    0..255 for L* 0..100; see :mod:`.colour_lab`). uint16 and floats: CIE
    L*a*b* (D65, sRGB) in float64 as scikit-image's ``rgb2lab``/``lab2rgb``
    (within 1e-6 for float64); plane: L* / 100, rounded to uint16 levels
    (``round(L* / 100 * 65535)``) for uint16 images, in the image's float
    dtype for floats. Results are clipped to the dtype's range ([0, 1]).
``"hsv"``
    Plane: V = max(R, G, B) in the image's dtype (OpenCV and scikit-image
    agree). The merge scales each pixel so that its largest sample becomes
    V': ``c' = c * V' / V`` (hue and saturation kept), for integer images
    the exact quotient rounded half to even (the sample equal to V becomes
    V' exactly, none exceeds it), for floats ``c / V * V'`` in float64 (the
    largest sample is V' exactly). A black pixel (V = 0, hue and saturation
    undefined) becomes grey ``(V', V', V')``, as scikit-image's ``hsv2rgb``
    makes it (its S is 0). cv2's own 8-bit HSV -> RGB depends on a pixel's
    position in its row (vector body truncates, row tail rounds), so histeq
    does not follow it.

Memory: the plane only (1 byte a pixel for uint8, 2 for uint16, 4 or 8 for
floats); no chroma planes, no float64 intermediates, and no copy of the
image unless its layout has no pixel lines (channels not adjacent, columns
skipped: one C-ordered copy, see :mod:`.colour_lines`). Float samples
outside [0, 1] (and NaN) are refused.

:func:`count_luminance` is the same round trip for a LUT that depends on
the luminance's histogram alone (``equalize``'s default method), on uint8
``"ycrcb"`` and ``"lab"`` images, in two passes instead of four
(:mod:`histeq.backends.cpu.colour_lut`): the first counts the luminance
while computing it, the second maps it and converts back; bit for bit
``merge(lut[plane])``.

:func:`skimage_hsv_split` is scikit-image's RGB handling in
``equalize_adapthist`` (``rgb2hsv``, V processed, ``hsv2rgb``), float64.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .colour_lines import Lines, blocks, c_ordered, lines, pixel_lines, with_lines
from .layout import unshared

#: The spaces whose luminance :func:`split_luminance` separates.
LUMINANCE_SPACES = ("ycrcb", "lab", "hsv")
#: The spaces :func:`count_luminance` takes (uint8 images).
LUT_SPACES = ("ycrcb", "lab")
#: Channel orders of the last axis.
CHANNEL_ORDERS = ("rgb", "bgr")
#: The dtypes colour conversions accept (native byte order).
COLOUR_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32), np.dtype(np.float64))

_Merge = Callable[[Lines, np.ndarray, Lines], None]


class Luminance:
    """An image's luminance plane, and how to put a new one back.

    Made by :func:`split_luminance`; holds a reference to the image (not a
    copy, unless its layout needed one), read again by :meth:`merge`.

    Attributes
    ----------
    plane : ndarray
        The luminance, shape ``image.shape[:-1]``, C-ordered; its dtype is
        the one to equalize (see :func:`split_luminance`).
    space : str
        ``"ycrcb"``, ``"lab"`` or ``"hsv"``.
    order : str
        ``"rgb"`` or ``"bgr"``.
    """

    __slots__ = ("_image", "_merge", "order", "plane", "space")

    def __init__(self, image: np.ndarray, plane: np.ndarray, space: str, order: str, merge: _Merge) -> None:
        self._image = image
        self._merge = merge
        self.plane = plane
        self.space = space
        self.order = order

    def __repr__(self) -> str:
        return f"Luminance(space={self.space!r}, order={self.order!r}, plane={self.plane.shape} {self.plane.dtype})"

    def merge(self, plane: np.ndarray, out: np.ndarray) -> None:
        """Write the colour image with luminance ``plane`` into ``out``.

        Parameters
        ----------
        plane : ndarray
            The processed luminance: :attr:`plane`'s shape and dtype, any
            layout (a C-ordered copy is made of others).
        out : ndarray
            Writeable, the image's shape and dtype, in the image's channel
            order; may be the image itself (or share its memory exactly).
            Any layout; rows of interleaved samples (RGB, or the colour part
            of RGBA) are written in place, others through a temporary image.

        Raises
        ------
        TypeError
            ``plane`` or ``out`` is not an array of the right dtype.
        ValueError
            Wrong shape, or ``out`` is read-only.
        """
        if not isinstance(plane, np.ndarray) or plane.dtype != self.plane.dtype:
            raise TypeError(f"plane must be a {self.plane.dtype} array; got {_describe(plane)}")
        if plane.shape != self.plane.shape:
            raise ValueError(f"plane must have shape {self.plane.shape}; got {plane.shape}")
        if not isinstance(out, np.ndarray) or out.dtype != self._image.dtype:
            raise TypeError(f"out must be a {self._image.dtype} array; got {_describe(out)}")
        if out.shape != self._image.shape:
            raise ValueError(f"out must have shape {self._image.shape}; got {out.shape}")
        if not out.flags.writeable:
            raise ValueError("out is read-only")
        image = unshared(self._image, out)
        plane = c_ordered(unshared(plane, out, exact=False))
        parts = blocks((image, plane, out), plane.ndim)
        if all(pixel_lines(o) is not None for _, _, o in parts):
            for x, p, o in parts:
                self._merge(lines(x), p, lines(o))
            return
        temporary = np.empty(image.shape, image.dtype)  # out's layout has no pixel lines
        for x, p, o in blocks((image, plane, temporary), plane.ndim):
            self._merge(lines(x), p, lines(o))
        out[...] = temporary


def split_luminance(image: np.ndarray, space: str, *, order: str = "rgb") -> Luminance:
    """The luminance plane of a colour image, ready to process and merge back.

    Parameters
    ----------
    image : ndarray
        ``(..., 3)``: colour along the last axis (the caller moves a channel
        axis there and strips alpha), uint8, uint16, float32 or float64
        (floats in [0, 1]). Read in place when its rows hold interleaved
        samples (C order, crops, the colour part of RGBA: any row stride, a
        pixel every 3 or 4 samples); other layouts are copied once.
    space : {"ycrcb", "lab", "hsv"}
        See the module docstring for what each reproduces.
    order : {"rgb", "bgr"}
        The channel order of the last axis.

    Returns
    -------
    Luminance
        ``.plane`` (shape ``image.shape[:-1]``): Y (image dtype) for
        ``"ycrcb"``; for ``"lab"`` cv2's 8-bit L (uint8), ``round(L* / 100 *
        65535)`` (uint16) or L* / 100 (float dtype); V (image dtype) for
        ``"hsv"``. ``.merge(plane, out)`` writes the colour image back.
        Extra memory: the plane only (plus a copy of an image without pixel
        lines).

    Raises
    ------
    TypeError
        ``image`` is not an ndarray of a supported dtype, or ``space`` or
        ``order`` is not a string.
    ValueError
        The last axis does not hold 3 samples, an unknown ``space`` or
        ``order``, or float samples outside [0, 1] (NaN included).

    Examples
    --------
    >>> import numpy as np
    >>> rgb = np.array([[[200, 30, 40], [10, 20, 30]]], np.uint8)
    >>> lum = split_luminance(rgb, "ycrcb")
    >>> lum.plane
    array([[82, 18]], dtype=uint8)
    >>> out = np.empty_like(rgb)
    >>> lum.merge(lum.plane, out)
    >>> out  # cv2.cvtColor there and back: its rounding moves (200, 30, 40) to (200, 30, 39)
    array([[[200,  30,  39],
            [ 10,  20,  30]]], dtype=uint8)
    """
    image = with_lines(check_colour_image(image))
    space = _choice(space, LUMINANCE_SPACES, "space")
    red = 0 if _choice(order, CHANNEL_ORDERS, "order") == "rgb" else 2
    from ..backends import kernels

    k = kernels(image)
    dtype = image.dtype
    plane = np.empty(image.shape[:-1], dtype)
    merge: _Merge
    if space == "ycrcb":
        bad = _split(k.colour.ycrcb_split, image, plane, red)

        def merge(x: Lines, p: np.ndarray, o: Lines) -> None:
            k.colour.ycrcb_merge(x, p, o, red)

    elif space == "hsv":
        bad = _split(k.colour_hsv.hsv_split, image, plane)

        def merge(x: Lines, p: np.ndarray, o: Lines) -> None:
            k.colour_hsv.hsv_merge(x, p, o)

    elif dtype == np.uint8:
        from .colour_lab import opencv_lab  # here: Lab's tables are loaded for Lab alone

        lab = opencv_lab()
        bad = _split(k.colour_lab.lab_split_bytes, image, plane, red, lab)

        def merge(x: Lines, p: np.ndarray, o: Lines) -> None:
            k.colour_lab.lab_merge_bytes(x, p, o, red, lab)

    else:
        from .colour_lab import cie_lab

        cie = cie_lab()
        top = 65535.0 if dtype == np.uint16 else 1.0  # the value of white
        plane_scale = top / 100.0  # L* -> plane
        bad = _split(k.colour_lab.lab_split_cie, image, plane, red, 1.0 / top, plane_scale, cie)

        def merge(x: Lines, p: np.ndarray, o: Lines) -> None:
            k.colour_lab.lab_merge_cie(x, p, o, red, 1.0 / top, 1.0 / plane_scale, top, cie)

    if bad:
        raise ValueError(f"float images must have samples in [0, 1]; {bad} samples are outside (or NaN)")
    return Luminance(image, plane, space, "rgb" if red == 0 else "bgr", merge)


class LuminanceCounts:
    """The histogram of a uint8 image's luminance, and how to map it.

    Made by :func:`count_luminance`: :attr:`counts` is the histogram of the
    plane :func:`split_luminance` would return, and :meth:`map` writes into
    ``out`` what ``merge(lut[plane], out)`` would. The image must not
    change in between; for ``"lab"``, ``out`` holds the image's 8-bit L, a,
    b (OpenCV's, in that order) until :meth:`map` converts them, in place,
    so that it runs once (``"ycrcb"``: any number of times).

    Attributes
    ----------
    counts : ndarray
        int64, 256 counts: the luminance's histogram.
    space : str
        ``"ycrcb"`` or ``"lab"``.
    """

    __slots__ = ("_map", "_mapped", "counts", "space")

    def __init__(self, counts: np.ndarray, space: str, apply: Callable[[np.ndarray], None]) -> None:
        self.counts = counts
        self.space = space
        self._map = apply
        self._mapped = False

    def __repr__(self) -> str:
        return f"LuminanceCounts(space={self.space!r}, pixels={int(self.counts.sum())})"

    def map(self, lut: np.ndarray | None) -> None:
        """Write the image with its luminance mapped through ``lut`` into ``out``.

        Parameters
        ----------
        lut : ndarray or None
            uint8, 256 entries: the new level of every luminance level;
            None leaves the luminance as it is (the round trip alone).

        Raises
        ------
        TypeError
            ``lut`` is not a uint8 array of 256 entries.
        RuntimeError
            A second call for ``"lab"`` (``out`` no longer holds L, a, b).
        """
        if lut is None:
            lut = np.arange(256, dtype=np.uint8)
        if not isinstance(lut, np.ndarray) or lut.dtype != np.uint8 or lut.shape != (256,):
            raise TypeError(f"lut must be a uint8 array of 256 entries; got {_describe(lut)}")
        if self._mapped and self.space == "lab":
            raise RuntimeError("map ran already: out holds the converted image, no longer its L, a, b")
        self._map(np.ascontiguousarray(lut))
        self._mapped = True


def count_luminance(image: np.ndarray, space: str, out: np.ndarray, *, order: str = "rgb") -> LuminanceCounts | None:
    """The first of two passes of a LUT on the luminance of a uint8 colour image.

    ``split_luminance(image, space).merge(lut[plane], out)`` for a ``lut``
    made from the plane's histogram, in two passes over the pixels instead
    of four: this one computes the luminance and counts it; ``.map(lut)``
    converts back. Bit for bit the split and merge (OpenCV's 8-bit
    conversions).

    Parameters
    ----------
    image : ndarray
        ``(..., 3)`` uint8, as :func:`split_luminance` takes it.
    space : {"ycrcb", "lab"}
    out : ndarray
        Where :meth:`LuminanceCounts.map` writes: writeable uint8 of the
        image's shape, in the image's channel order; may be the image
        itself. For ``"lab"`` this pass writes each pixel's L, a, b there.
    order : {"rgb", "bgr"}

    Returns
    -------
    LuminanceCounts or None
        None, with nothing computed or written, when ``out`` does not hold
        its pixels in rows of interleaved samples (see
        :mod:`.colour_lines`): use :func:`split_luminance` then. Extra
        memory: for ``"ycrcb"`` the Y plane (1 byte a pixel), for ``"lab"``
        512 KB of tables.
    """
    image = with_lines(check_colour_image(image))
    space = _choice(space, LUT_SPACES, "space")
    red = 0 if _choice(order, CHANNEL_ORDERS, "order") == "rgb" else 2
    if image.dtype != np.uint8:
        raise TypeError(f"image must be uint8; got {image.dtype}")
    if not isinstance(out, np.ndarray) or out.dtype != np.uint8 or out.shape != image.shape:
        raise TypeError(f"out must be a uint8 array of shape {image.shape}; got {_describe(out)}")
    if not out.flags.writeable:
        raise ValueError("out is read-only")
    image = unshared(image, out)
    from ..backends import kernels

    k = kernels(image).colour_lut
    apply: Callable[[np.ndarray], None]
    zero = np.zeros(256, np.int64)
    if space == "ycrcb":
        plane = np.empty(image.shape[:-1], np.uint8)
        parts = [(pixel_lines(x), p, pixel_lines(o)) for x, p, o in blocks((image, plane, out), plane.ndim)]
        if any(o is None for _, _, o in parts):
            return None
        counts = sum((k.ycrcb_count(x, p, red) for x, p, _ in parts), zero)

        def apply(lut: np.ndarray) -> None:
            for x, p, o in parts:
                k.ycrcb_map(x, p, lut, o, red)

    else:
        from .colour_lab import opencv_lab

        tables = opencv_lab()
        pairs = [(pixel_lines(x), pixel_lines(o), o.shape[:2]) for x, o in blocks((image, out), image.ndim - 1)]
        if any(o is None for _, o, _ in pairs):
            return None
        counts = sum((k.lab_count(x, o, *shape, red, tables) for x, o, shape in pairs), zero)

        def apply(lut: np.ndarray) -> None:
            for _, o, shape in pairs:
                k.lab_map(o, *shape, red, lut, tables)

    return LuminanceCounts(counts, space, apply)


class SkimageHSV:
    """The state :func:`skimage_hsv_split` keeps: the image and its scale."""

    __slots__ = ("_image", "_scale")

    def __init__(self, image: np.ndarray, scale: float) -> None:
        self._image = image
        self._scale = scale

    def merge(self, value: np.ndarray) -> np.ndarray:
        """``hsv2rgb`` of the image's hue and saturation with V = ``value``.

        Parameters
        ----------
        value : ndarray
            The processed V: the image's pixel grid (any real dtype).

        Returns
        -------
        ndarray
            float64 RGB, the image's shape: within 1e-12 of scikit-image's
            ``hsv2rgb(H, S, value)`` (computed as ``c / V * value``).
        """
        value = c_ordered(np.asarray(value))
        if value.shape != self._image.shape[:-1]:
            raise ValueError(f"value must have shape {self._image.shape[:-1]}; got {value.shape}")
        from ..backends import kernels

        out = np.empty(self._image.shape, np.float64)
        for x, p, o in blocks((self._image, value, out), value.ndim):
            kernels(x).colour_hsv.hsv_merge(lines(x), p, lines(o), self._scale)
        return out


def skimage_hsv_split(rgb: np.ndarray) -> tuple[np.ndarray, SkimageHSV]:
    """scikit-image's ``rgb2hsv`` V, as ``equalize_adapthist`` takes it from an RGB image.

    Parameters
    ----------
    rgb : ndarray
        ``(..., 3)`` uint8, uint16, float32 or float64 (floats in [0, 1]).

    Returns
    -------
    value : ndarray
        float64 V: ``max(R, G, B) * (1 / 255)`` (``1 / 65535``) for integers
        (``img_as_float``'s arithmetic), the largest sample for floats;
        bit-identical to ``rgb2hsv(rgb)[..., 2]``.
    state : SkimageHSV
        ``state.merge(new_value)`` -> float64 RGB, scikit-image's ``hsv2rgb``
        within 1e-12. float32 images: scikit-image computes in float32; histeq
        in float64 (agreement within float32 rounding).
    """
    rgb = with_lines(check_colour_image(rgb, "rgb"))
    from ..backends import kernels

    value = np.empty(rgb.shape[:-1], np.float64)
    if _split(kernels(rgb).colour_hsv.hsv_split, rgb, value):
        raise ValueError("float images must have samples in [0, 1]")
    scale = 1.0 / float(np.iinfo(rgb.dtype).max) if rgb.dtype.kind == "u" else 1.0
    if scale != 1.0:
        value *= scale
    return value, SkimageHSV(rgb, scale)


def check_colour_image(image: object, name: str = "image") -> np.ndarray:
    """``image`` if it is a ``(..., 3)`` array of a colour dtype, else a clear error."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array; got {type(image).__name__}")
    if image.ndim == 0 or image.shape[-1] != 3:
        raise ValueError(
            f"{name} must hold 3 colour samples along its last axis (move the channel axis there, strip alpha); "
            f"got shape {image.shape}"
        )
    if image.dtype not in COLOUR_DTYPES:
        raise TypeError(f"{name} must be uint8, uint16, float32 or float64 (native byte order); got {image.dtype}")
    return image


def _choice(value: object, choices: tuple[str, ...], name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {', '.join(map(repr, choices))}; got {value!r}")
    if value.lower() not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value.lower()


def _describe(value: object) -> str:
    return f"{value.dtype} array" if isinstance(value, np.ndarray) else type(value).__name__


def _split(kernel: Callable[..., int | None], image: np.ndarray, plane: np.ndarray, *args: object) -> int:
    # Run a split kernel over every block; the count of bad float samples.
    return sum(kernel(lines(x), p, *args) or 0 for x, p in blocks((image, plane), plane.ndim))
