"""Colour layouts: which samples of an image's last axis are colour, and alpha kept apart.

A 3-D image whose last axis holds 2, 3 or 4 samples is grey+alpha, RGB or
RGBA: the leading samples are colour (1 or 3), the rest is alpha, which
histogram operations leave as it is. Any other image is grey (a 2-D image,
or a volume). Pure numpy: shapes and views, no pixel is computed here.

>>> import numpy as np
>>> rgba = np.zeros((2, 2, 4), np.uint8)
>>> colour_samples(rgba.shape)
3
>>> colour, alpha = split_alpha(rgba)
>>> colour.shape, alpha.shape
((2, 2, 3), (2, 2, 1))
>>> join_alpha(colour + 1, alpha)[0, 0]
array([1, 1, 1, 0], dtype=uint8)
"""

from __future__ import annotations

import numpy as np

#: Colour layouts of a 3-D image's last axis: samples -> how many leading
#: samples are colour (grey+alpha, RGB, RGBA); the rest is alpha.
COLOUR_LAYOUTS: dict[int, int] = {2: 1, 3: 3, 4: 3}


def colour_samples(shape: tuple[int, ...]) -> int | None:
    """How many leading samples of the last axis are colour.

    Parameters
    ----------
    shape : tuple of int
        An image's shape.

    Returns
    -------
    int or None
        1 (grey+alpha) or 3 (RGB, RGBA) for a 3-D shape whose last axis has
        2, 3 or 4 samples (see :data:`COLOUR_LAYOUTS`); the samples after
        them are alpha. None for a grey image: any other shape.

    Examples
    --------
    >>> colour_samples((480, 640, 4)), colour_samples((480, 640, 2)), colour_samples((480, 640))
    (3, 1, None)
    """
    return COLOUR_LAYOUTS.get(shape[2]) if len(shape) == 3 else None


def spatial_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of an image's pixel grid: without the sample axis of a colour layout.

    Parameters
    ----------
    shape : tuple of int
        An image's shape.

    Returns
    -------
    tuple of int
        ``shape[:2]`` for a colour layout (see :func:`colour_samples`),
        else ``shape`` (a grey image is its pixel grid).

    Examples
    --------
    >>> spatial_shape((480, 640, 3)), spatial_shape((480, 640))
    ((480, 640), (480, 640))
    """
    return tuple(shape[:2]) if colour_samples(shape) else tuple(shape)


def split_alpha(image: np.ndarray, samples: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """An image's colour part and its alpha part, as views.

    Parameters
    ----------
    image : ndarray
        Any image.
    samples : int, optional
        How many leading samples of the last axis are colour (a stack of
        images, whose shape alone does not say); default
        :func:`colour_samples` of the image's shape.

    Returns
    -------
    colour : ndarray
        The colour samples, the sample axis kept: ``(H, W, 1)`` for
        grey+alpha, ``(H, W, 3)`` for RGB(A); ``image`` itself when it has
        no alpha (grey, RGB).
    alpha : ndarray or None
        The alpha samples, ``(H, W, 1)``, or None.

    See Also
    --------
    join_alpha : puts a processed colour part and the alpha back together.
    without_alpha : the colour part as a figure shows it (grey as 2-D).
    """
    samples = colour_samples(image.shape) if samples is None else samples
    if samples is None or samples == image.shape[-1]:
        return image, None
    return image[..., :samples], image[..., samples:]


def join_alpha(colour: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """A colour part, processed or not, with its alpha unchanged after it.

    Parameters
    ----------
    colour : ndarray
        ``(H, W, samples)``, as :func:`split_alpha` gave it or processed from
        that; it must have the alpha's dtype.
    alpha : ndarray or None
        The alpha part from :func:`split_alpha`; None: ``colour`` is the image.

    Returns
    -------
    ndarray
        ``colour`` itself when ``alpha`` is None, else a new ``(H, W,
        samples + alpha samples)`` array.

    Raises
    ------
    ValueError
        When the dtypes or the pixel grids differ (alpha levels have no
        meaning in another dtype).
    """
    if alpha is None:
        return colour
    if colour.dtype != alpha.dtype or colour.shape[:-1] != alpha.shape[:-1]:
        raise ValueError(
            f"colour {colour.shape} {colour.dtype} and alpha {alpha.shape} {alpha.dtype} "
            "must share their dtype and pixel grid"
        )
    samples = colour.shape[-1]
    image = np.empty((*colour.shape[:-1], samples + alpha.shape[-1]), colour.dtype)
    image[..., :samples] = colour
    image[..., samples:] = alpha
    return image


def without_alpha(image: np.ndarray) -> np.ndarray:
    """An image without its alpha: what a figure shows of it.

    Parameters
    ----------
    image : ndarray
        Any image.

    Returns
    -------
    ndarray
        A view: the grey plane ``(H, W)`` of grey+alpha, the ``(H, W, 3)``
        colour samples of RGBA, or ``image`` itself (grey, RGB).

    Examples
    --------
    >>> without_alpha(np.zeros((4, 5, 2))).shape, without_alpha(np.zeros((4, 5, 4))).shape
    ((4, 5), (4, 5, 3))
    """
    colour, _ = split_alpha(image)
    return colour[..., 0] if colour_samples(image.shape) == 1 else colour
