"""``clahe(method="imagemagick")``: ImageMagick 7's ``-clahe``, as its Q8 build
(the ``@imagemagick/magick-wasm`` build, 7.1.2) computes it.

ImageMagick runs CLAHE on the L channel of its own Lab, whatever the image:
a grey image becomes sRGB (its level in every sample), then Lab, each step
stored in 8-bit quanta; L (times 257) is equalized in tiles at 16 bits
(``backends/cpu/magick_clahe.py``); the result goes back through sRGB to
grey (or stays sRGB). Everything here is ImageMagick's arithmetic in float64:
its polynomial ``pow(x, 2.4)`` and ``pow(x, 1 / 2.4)`` (``DecodeGamma``,
``EncodeGamma`` in ``MagickCore/pixel.c``), its sRGB <-> XYZ matrices, D65
white and CIE constants, and ``ClampToQuantum`` (round half up, clamped).
uint8 only: the Q8 build writes 16-bit images back as 8-bit ones, and the
Q16 and HDRI builds' Lab is another arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._core.layout import unshared
from .._core.methods import CLAHE_IMAGE_METHODS
from .._core.validate import check_clip_limit, check_nbins, check_out
from ..backends import kernels

QUANTUM = 255.0
SCALE = 1.0 / QUANTUM
CIE_EPSILON = 216.0 / 24389.0
CIE_K = 24389.0 / 27.0
D65 = (0.95047, 1.00000, 1.08883)
#: Chebyshev terms and (2^n)^power tables of DecodeGamma (x^2.4) and EncodeGamma (x^(1/2.4)).
DECODE_TERMS = (
    1.7917488588043277509, 0.82045614371976854984, 0.027694100686325412819, -0.00094244335181762134018,
    0.000064355540911469709545, -5.7224404636060757485e-06, 5.8767669437311184313e-07,
    -6.6139920053589721168e-08, 7.9323242696227458163e-09,
)  # fmt: skip
DECODE_POWERS = (1.0, 2.6390158215457883983, 6.9644045063689921093, 1.8379173679952558018e01, 4.8502930128332728543e01)
ENCODE_TERMS = (
    1.1758200232996901923, 0.16665763094889061230, -0.0083154894939042125035, 0.00075187976780420279038,
    -0.000083240178519391795367, 0.000010229209410070008679, -1.3400466409860246e-06,
    1.8333422241635376682e-07, -2.5878596761348859722e-08,
)  # fmt: skip
ENCODE_POWERS = (
    1.0, 1.3348398541700343678, 1.7817974362806785482, 2.3784142300054420538, 3.1748021039363991669,
    4.2378523774371812394, 5.6568542494923805819, 7.5509945014535482244, 1.0079368399158985525e1,
    1.3454342644059433809e1, 1.7959392772949968275e1, 2.3972913230026907883e1,
)  # fmt: skip
#: RGB -> XYZ and XYZ -> RGB, as ImageMagick writes them.
TO_XYZ = (
    (0.4123955889674142161, 0.3575834307637148171, 0.1804926473817015735),
    (0.2125862307855955516, 0.7151703037034108499, 0.07220049864333622685),
    (0.01929721549174694484, 0.1191838645808485318, 0.9504971251315797660),
)
FROM_XYZ = (
    (3.240969941904521, -1.537383177570093, -0.498610760293),
    (-0.96924363628087, 1.87596750150772, 0.041555057407175),
    (0.055630079696993, -0.20397695888897, 1.056971514242878),
)
#: ImageMagick's grey from sRGB (Rec. 709 luma weights on the stored samples).
GREY = (0.212656, 0.715158, 0.072186)


def clahe_imagemagick(
    image: np.ndarray,
    axis: int | None,
    clip_limit: object,
    kernel_size: object,
    nbins: object,
    keep_alpha: bool,
    channel_order: str,
    per_channel: bool,
    out: np.ndarray | None,
) -> np.ndarray:
    """``clahe(method="imagemagick")`` with ``color`` unset, checked here: a
    2-D uint8 grey image, or with ``axis`` 3 samples (sRGB; 4 with
    ``keep_alpha``, the 4th copied; ``channel_order`` "rgb" or "bgr"), or
    with ``per_channel`` (``color="channels"``) any samples, each as a grey
    image (the last one copied with ``keep_alpha``).
    ``kernel_size``: the tile's ``(height, width)`` (an int: square; 0 or
    None: ImageMagick's eighth of the image; at most the image's size, where
    ImageMagick would also take larger tiles over edge padding), ``nbins``
    (default 128, more than 256 count as 256), ``clip_limit`` (default 3;
    ImageMagick's multiple of the mean bin height). Memory: the output, a
    16-bit copy of the image padded to whole tiles and a few int64 planes
    of its size (the Lab channels on the way), the tiles' mappings."""
    if image.dtype != np.uint8:
        raise TypeError(
            f"method='imagemagick' reproduces ImageMagick 7's Q8 build, which equalizes uint8 images; got {image.dtype}"
        )
    frame = image if axis is None else np.moveaxis(image, axis, -1)
    if frame.ndim != 2 + (axis is not None):
        raise ValueError(
            f"method='imagemagick' works on 2-D images (with channel_axis: colour ones); got {image.shape}"
        )
    samples = 1 if axis is None else frame.shape[-1]
    if axis is not None and samples - int(keep_alpha) != 3 and not per_channel:
        raise ValueError(
            "method='imagemagick' on colour images needs 3 samples (sRGB) along channel_axis, 4 with "
            f"keep_alpha=True; got {samples} (color='channels' equalizes each channel as a grey image)"
        )
    tile = _check_tile(kernel_size, frame.shape[:2])
    checked = check_nbins(nbins)
    bins = 128 if checked is None else checked
    clip = check_clip_limit(clip_limit, CLAHE_IMAGE_METHODS["imagemagick"].default_clip)
    result = check_out(out, image.shape, image.dtype)
    if result is not None:  # an out that overlaps the image partially: work from a copy
        image = unshared(image, result)
        frame = image if axis is None else np.moveaxis(image, axis, -1)
    if channel_order not in ("rgb", "bgr"):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr'; got {channel_order!r}")
    if result is None:
        result = np.empty_like(image)
    if axis is None:
        result[...] = magick_clahe(image, tile, bins, clip)
        return result
    target = np.moveaxis(result, axis, -1)
    colours = samples - int(keep_alpha)
    if per_channel:
        for c in range(colours):
            target[..., c] = magick_clahe(frame[..., c], tile, bins, clip)
    else:
        order = slice(None, 3) if channel_order == "rgb" else slice(2, None, -1)
        target[..., order] = magick_clahe(frame[..., order], tile, bins, clip)
    target[..., colours:] = frame[..., colours:]  # alpha
    return result


def _check_tile(kernel_size: object, shape: tuple[int, ...]) -> tuple[int, int] | None:
    # The tile's (height, width) in pixels: None, an int or two ints >= 0 (0: ImageMagick's default).
    if kernel_size is None:
        return None
    sizes = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
    if len(sizes) != 2 or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in sizes):
        raise TypeError(f"kernel_size must be the tile's height and width in pixels (ints >= 0); got {kernel_size!r}")
    if any(n < 0 or n > extent for n, extent in zip(sizes, shape)):
        raise ValueError(f"kernel_size must be from 0 to the image's size {tuple(shape)}; got {kernel_size!r}")
    return int(sizes[0]), int(sizes[1])


def magick_clahe(image: np.ndarray, tile: tuple[int, int] | None, nbins: int, clip: float) -> np.ndarray:
    """``-clahe`` of a grey ``(H, W)`` or sRGB ``(H, W, 3)`` uint8 image.

    ``tile``: the tile's ``(height, width)`` in pixels (None or 0: ImageMagick's
    default, an eighth of the image; at least 2); ``nbins`` 0 means 128, at
    most 256 are used; ``clip``: ImageMagick's clip limit (the tile's mean bin
    height times it, at least 1 pixel; exactly 1.0 skips CLAHE but not the
    Lab round trip). Returns a new uint8 array of the image's shape.
    """
    quanta = image.astype(np.int64)
    if image.ndim == 2:
        red = green = blue = _clamp(GREY[0] * quanta + GREY[1] * quanta + GREY[2] * quanta)  # GRAY -> sRGB
    else:
        red, green, blue = (quanta[..., c] for c in range(3))
    # Each distinct colour (and each distinct Lab triple on the way back) is converted once.
    lightness, a, b = _per_colour(_rgb_to_lab, red, green, blue)
    equalized = _clahe_lightness(lightness, tile, nbins, clip)
    red, green, blue = _per_colour(_lab_to_rgb, equalized, a, b)
    if image.ndim == 2:
        return _clamp(GREY[0] * red + GREY[1] * green + GREY[2] * blue).astype(np.uint8)  # sRGB -> GRAY
    return np.stack([red, green, blue], axis=-1).astype(np.uint8)


def _per_colour(
    convert: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, ...]],
    first: np.ndarray,
    second: np.ndarray,
    third: np.ndarray,
) -> tuple[np.ndarray, ...]:
    # convert(first, second, third) of quanta arrays, computed once per distinct triple.
    keys, inverse = np.unique((first << 16) | (second << 8) | third, return_inverse=True)
    converted = convert(keys >> 16, (keys >> 8) & 255, keys & 255)
    return tuple(channel[inverse].reshape(first.shape) for channel in converted)


def _clahe_lightness(lightness: np.ndarray, tile: tuple[int, int] | None, nbins: int, clip: float) -> np.ndarray:
    # CLAHEImage on L quanta: tiles, padding (edge pixels), the kernel, the crop.
    rows, cols = lightness.shape
    th = max(2, rows >> 3 if tile is None or tile[0] == 0 else tile[0])
    tw = max(2, cols >> 3 if tile is None or tile[1] == 0 else tile[1])
    pad_y = (th - rows % th) % th
    pad_x = (tw - cols % tw) % tw
    bins = 128 if nbins == 0 else min(nbins, 256)
    if clip == 1.0:
        return lightness
    row_index = np.clip(np.arange(rows + pad_y) - (pad_y >> 1), 0, rows - 1)
    col_index = np.clip(np.arange(cols + pad_x) - (pad_x >> 1), 0, cols - 1)
    plane = (257 * lightness[np.ix_(row_index, col_index)]).astype(np.uint16)
    limit = max(int(clip * (float(tw) * th) / bins), 1)
    out = np.empty_like(plane)
    kernels(plane).magick_clahe.clahe_plane(plane, th, tw, bins, limit, out)
    cropped = out[pad_y >> 1 : (pad_y >> 1) + rows, pad_x >> 1 : (pad_x >> 1) + cols].astype(np.int64)
    return (cropped + 128) // 257  # ScaleShortToQuantum


def _clamp(values: np.ndarray) -> np.ndarray:
    # ClampToQuantum (Q8): NaN and <= 0 -> 0, >= 255 -> 255, else trunc(v + 0.5).
    values = np.asarray(values, dtype=np.float64)
    result = np.trunc(np.clip(np.nan_to_num(values, nan=0.0), 0.0, QUANTUM) + 0.5)
    result[values >= QUANTUM] = QUANTUM
    result[~(values > 0.0)] = 0.0
    return result.astype(np.int64)


def _chebyshev(x: np.ndarray, terms: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    # ImageMagick's series in t = 4 m - 3 (x = m 2^e, m in [0.5, 1)), summed in order.
    mantissa, exponent = np.frexp(x)
    t1 = 4.0 * mantissa - 3.0
    powers = [np.ones_like(x), t1]
    for _ in range(2, len(terms)):
        powers.append(2.0 * t1 * powers[-1] - powers[-2])
    total = terms[0] * powers[0]
    for term, power in zip(terms[1:], powers[1:]):
        total = total + term * power
    return total, exponent


def _decode_gamma(x: np.ndarray) -> np.ndarray:
    # x^2.4 = x * x^(7/5): DecodeGamma.
    series, exponent = _chebyshev(x, DECODE_TERMS)
    quotient, remainder = np.divmod(exponent - 1, 5)
    return x * np.ldexp(np.asarray(DECODE_POWERS)[remainder] * series, 7 * quotient)


def _encode_gamma(x: np.ndarray) -> np.ndarray:
    # x^(5/12): EncodeGamma.
    series, exponent = _chebyshev(x, ENCODE_TERMS)
    quotient, remainder = np.divmod(exponent - 1, 12)
    return np.ldexp(np.asarray(ENCODE_POWERS)[remainder] * series, 5 * quotient)


def _decode_pixel(pixel: np.ndarray) -> np.ndarray:
    # DecodePixelGamma on quanta.
    pixel = pixel.astype(np.float64)
    curve = QUANTUM * _decode_gamma((SCALE * pixel + 0.055) / 1.055)
    return np.where(pixel <= 0.0404482362771076 * QUANTUM, pixel / 12.92, curve)


def _encode_pixel(pixel: np.ndarray) -> np.ndarray:
    # EncodePixelGamma on quanta (its polynomial is only read where it is used).
    small = pixel <= 0.0031306684425005883 * QUANTUM
    curve = QUANTUM * (1.055 * _encode_gamma(SCALE * np.where(small, 1.0, pixel)) - 0.055)
    return np.where(small, 12.92 * pixel, curve)


def _rgb_to_lab(red: np.ndarray, green: np.ndarray, blue: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # ConvertRGBToLab on sRGB quanta, each channel stored as a quantum.
    r, g, b = (SCALE * _decode_pixel(channel) for channel in (red, green, blue))
    x, y, z = ((row[0] * r) + (row[1] * g) + (row[2] * b) for row in TO_XYZ)
    fx, fy, fz = (_cube_root(value, white) for value, white in zip((x, y, z), D65))
    return (
        _clamp(QUANTUM * (((116.0 * fy) - 16.0) / 100.0)),
        _clamp(QUANTUM * ((500.0 * (fx - fy)) / 255.0 + 0.5)),
        _clamp(QUANTUM * ((200.0 * (fy - fz)) / 255.0 + 0.5)),
    )


def _cube_root(value: np.ndarray, white: float) -> np.ndarray:
    # CIE's f of value / white: a cube root (pow, as ImageMagick) above
    # epsilon, else (K * value / white + 16) / 116, in this order.
    ratio = value / white
    return np.where(
        ratio > CIE_EPSILON, np.power(np.maximum(ratio, 0.0), 1.0 / 3.0), (CIE_K * value / white + 16.0) / 116.0
    )


def _lab_to_rgb(lightness: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # ConvertLabToRGB of Lab quanta, each channel stored as a quantum.
    big_l = 100.0 * (SCALE * lightness)
    fy = (big_l + 16.0) / 116.0
    fx = fy + (255.0 * (SCALE * a - 0.5)) / 500.0
    fz = fy - (255.0 * (SCALE * b - 0.5)) / 200.0
    x = np.where(fx * fx * fx > CIE_EPSILON, fx * fx * fx, (116.0 * fx - 16.0) / CIE_K)
    y = np.where(big_l > CIE_K * CIE_EPSILON, fy * fy * fy, big_l / CIE_K)
    z = np.where(fz * fz * fz > CIE_EPSILON, fz * fz * fz, (116.0 * fz - 16.0) / CIE_K)
    x, y, z = D65[0] * x, D65[1] * y, D65[2] * z
    r, g, bl = ((row[0] * x) + (row[1] * y) + (row[2] * z) for row in FROM_XYZ)
    lowest = np.minimum(r, np.minimum(g, bl))
    shift = np.where(lowest < 0.0, lowest, 0.0)
    r, g, bl = (np.where(lowest < 0.0, channel - shift, channel) for channel in (r, g, bl))
    return tuple(_clamp(_encode_pixel(QUANTUM * channel)) for channel in (r, g, bl))  # type: ignore[return-value]
