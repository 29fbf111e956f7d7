"""Checks of public arguments, done once at the boundary.

Each check names the public parameter, says what is required and what was
received. Errors are plain :class:`TypeError` (wrong kind of thing) and
:class:`ValueError` (right kind, wrong value).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np

from ._dtypes import is_integer

#: Upper limit on ``nbins``: histograms are kept per thread, so this bounds memory.
MAX_BINS = 1 << 20


def as_image(image: object, name: str = "image") -> np.ndarray:
    """Return ``image`` as an ndarray of a supported dtype in native byte order.

    Accepts integer and float arrays (and array-likes) with at least one
    dimension and at least one element. A big-endian array is converted to
    native order (one copy); nothing else is copied.
    """
    if isinstance(image, np.ndarray):
        array = image
    else:
        try:
            array = np.asarray(image)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be an array of numbers; got {type(image).__name__}") from exc
    kind = array.dtype.kind
    if kind == "b":
        raise TypeError(
            f"{name} has dtype bool; histogram equalization needs integer or float "
            f"levels (convert with {name}.astype(np.uint8))"
        )
    if kind not in "iuf":
        raise TypeError(f"{name} must have an integer or float dtype; got dtype {array.dtype}")
    if array.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension; got a 0-d array (a scalar)")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); there is nothing to equalize")
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array


def check_method(method: object, allowed: Sequence[str], dtype: np.dtype) -> str:
    """Check ``method`` against ``allowed`` and against the image dtype."""
    if not isinstance(method, str) or method not in allowed:
        raise ValueError(f"method must be one of {', '.join(map(repr, allowed))}; got {method!r}")
    if method == "pillow" and dtype != np.uint8:
        raise TypeError(
            f"method='pillow' reproduces Pillow, which equalizes 8-bit images only; "
            f"got dtype {dtype} (use method='opencv' for other dtypes)"
        )
    return method


def check_nbins(nbins: object) -> int | None:
    """``None`` or an integer in ``1 .. MAX_BINS``."""
    if nbins is None:
        return None
    if isinstance(nbins, (bool, np.bool_)):
        raise TypeError(f"nbins must be an integer; got {nbins!r}")
    try:
        value = operator.index(nbins)
    except TypeError:
        raise TypeError(f"nbins must be an integer; got {type(nbins).__name__} {nbins!r}") from None
    if not 1 <= value <= MAX_BINS:
        raise ValueError(f"nbins must be between 1 and {MAX_BINS}; got {value}")
    return value


def check_channel_axis(channel_axis: object, ndim: int) -> int | None:
    """``None`` or an axis of an ``ndim``-dimensional image (negative counts from the end)."""
    if channel_axis is None:
        return None
    if isinstance(channel_axis, (bool, np.bool_)):
        raise TypeError(f"channel_axis must be an integer or None; got {channel_axis!r}")
    try:
        axis = operator.index(channel_axis)
    except TypeError:
        raise TypeError(
            f"channel_axis must be an integer or None; got {type(channel_axis).__name__}"
        ) from None
    if ndim < 2:
        raise ValueError(f"channel_axis needs an image of at least 2 dimensions; got {ndim}-d")
    if not -ndim <= axis < ndim:
        raise ValueError(f"channel_axis {axis} is out of range for a {ndim}-d image")
    return axis % ndim


def check_mask(mask: object, shape: tuple[int, ...], channel_axis: int | None) -> np.ndarray | None:
    """A boolean mask of the image's shape, or (with ``channel_axis``) of its
    shape without the channel axis, which then applies to every channel.

    Returns the mask broadcast to the image's shape (a view, no copy).
    """
    if mask is None:
        return None
    array = np.asarray(mask)
    if array.dtype != np.bool_:
        raise TypeError(
            f"mask must be a boolean array; got dtype {array.dtype} (use mask != 0 to convert)"
        )
    if array.shape == shape:
        return array
    if channel_axis is not None:
        spatial = shape[:channel_axis] + shape[channel_axis + 1 :]
        if array.shape == spatial:
            return np.broadcast_to(np.expand_dims(array, channel_axis), shape)
        raise ValueError(
            f"mask must have the image's shape {shape} or its shape without the "
            f"channel axis {spatial}; got {array.shape}"
        )
    raise ValueError(f"mask must have the image's shape {shape}; got {array.shape}")


def check_value_range(value_range: object, dtype: np.dtype) -> tuple[float, float] | tuple[int, int] | None:
    """``None`` or ``(low, high)`` with finite ``low <= high``: Python ints for
    integer images (within the dtype), Python floats for float images."""
    if value_range is None:
        return None
    try:
        low, high = value_range  # type: ignore[misc]
    except (TypeError, ValueError):
        raise TypeError(f"value_range must be a pair (low, high); got {value_range!r}") from None
    if is_integer(dtype):
        try:
            low, high = operator.index(low), operator.index(high)
        except TypeError:
            raise TypeError(
                f"value_range must be a pair of integers for an integer image; got {value_range!r}"
            ) from None
        info = np.iinfo(dtype)
        if low < info.min or high > info.max:
            raise ValueError(
                f"value_range {value_range!r} exceeds the range of {dtype} ({info.min}..{info.max})"
            )
    else:
        try:
            low, high = float(low), float(high)
        except (TypeError, ValueError):
            raise TypeError(f"value_range must be a pair of numbers; got {value_range!r}") from None
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ValueError(f"value_range must be finite; got {value_range!r}")
    if low > high:
        raise ValueError(f"value_range must have low <= high; got {value_range!r}")
    return low, high


def check_out(out: object, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
    """``None`` or a writeable ndarray of the result's shape and dtype."""
    if out is None:
        return None
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array; got {type(out).__name__}")
    if out.shape != shape:
        raise ValueError(f"out must have shape {shape}; got {out.shape}")
    if out.dtype != dtype:
        raise TypeError(f"out must have dtype {dtype} (the result's dtype); got {out.dtype}")
    if not out.flags.writeable:
        raise ValueError("out is read-only")
    return out
