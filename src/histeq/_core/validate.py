"""Checks of public arguments, done once at the boundary.

Each check names the public parameter, says what is required and what was
received. Errors are plain :class:`TypeError` (wrong kind of thing) and
:class:`ValueError` (right kind, wrong value).
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, SupportsIndex, cast

import numpy as np

from .levels import is_integer

#: Upper limit on ``nbins``: histograms are kept per thread, so this bounds memory.
MAX_BINS = 1 << 20
#: CLAHE: tiles along an axis may outnumber its pixels up to this many (OpenCV
#: accepts any grid: past the image its tiles are mirrored padding), not more.
MAX_TILES_BEYOND = 16


def as_image(image: object, name: str = "image") -> np.ndarray:
    """Return ``image`` as an ndarray of a supported dtype in native byte order.

    Accepts integer and float arrays (and array-likes) with at least one
    dimension and at least one element. A big-endian array is converted to
    native order (one copy); other ndarray subclasses (``np.memmap``,
    ``np.matrix``, ...) are viewed as plain ndarrays; nothing else is copied.
    A ``numpy.ma.MaskedArray`` is refused (TypeError): operations that honour
    its mask take it apart with :func:`unmask` first.
    """
    if type(image) is not np.ndarray and isinstance(image, np.ma.MaskedArray):  # plain arrays: np.ma not imported
        raise TypeError(
            f"{name} is a numpy.ma.MaskedArray, and this operation has no mask to honour it with; "
            f"pass {name}.filled(value) or np.asarray({name}) (its data, masked pixels included)"
        )
    if isinstance(image, np.ndarray):
        array = image if type(image) is np.ndarray else image.view(np.ndarray)
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


@dataclass(frozen=True)
class Masked:
    """What a ``numpy.ma.MaskedArray`` input brings besides its data.

    ``hidden``: its mask (True where a pixel is masked out), the data's
    shape, or None when nothing is masked (``np.ma.nomask``);
    ``fill_value``: its fill value, if one was set (else None).
    """

    hidden: np.ndarray | None
    fill_value: Any

    def counted(self, mask: np.ndarray | None) -> np.ndarray | None:
        """The pixels to count: those not masked out, and (if given) where the
        checked ``mask`` parameter (the data's shape, or broadcast to it) is True."""
        if self.hidden is None:
            return mask
        return ~self.hidden if mask is None else mask & ~self.hidden

    def wrap(self, result: np.ndarray, data: np.ndarray) -> np.ma.MaskedArray:
        """``result`` (of ``data``'s shape) as a MaskedArray with a copy of the
        input's mask (and its fill value, when the dtypes agree)."""
        mask = np.ma.nomask if self.hidden is None else self.hidden.copy()
        fill = self.fill_value if self.fill_value is not None and result.dtype == data.dtype else None
        return np.ma.MaskedArray(result, mask=mask, fill_value=fill)


def unmask(image: object) -> tuple[object, Masked | None]:
    """``(data, masked)``: a ``numpy.ma.MaskedArray``'s data (a view, not a
    copy) and its :class:`Masked`; anything else as it is, and None."""
    if type(image) is np.ndarray or not isinstance(image, np.ma.MaskedArray):  # plain arrays: np.ma not imported
        return image, None
    hidden = np.ma.getmask(image)
    data = np.ma.getdata(image)
    # The fill value only if one was set: numpy's default for float16 (1e20)
    # overflows, with a warning, as soon as it is read.
    fill_value = getattr(image, "_fill_value", None)
    return data, Masked(None if hidden is np.ma.nomask else np.asarray(hidden), fill_value)


def check_nbins(nbins: object) -> int | None:
    """``None`` or an integer in ``1 .. MAX_BINS``."""
    if nbins is None:
        return None
    if isinstance(nbins, (bool, np.bool_)):
        raise TypeError(f"nbins must be an integer; got {nbins!r}")
    try:
        value = operator.index(cast(SupportsIndex, nbins))  # anything else raises TypeError here
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
        axis = operator.index(cast(SupportsIndex, channel_axis))  # anything else raises TypeError here
    except TypeError:
        raise TypeError(f"channel_axis must be an integer or None; got {type(channel_axis).__name__}") from None
    if ndim < 2:
        raise ValueError(f"channel_axis needs an image of at least 2 dimensions; got {ndim}-d")
    if not -ndim <= axis < ndim:
        raise ValueError(f"channel_axis {axis} is out of range for a {ndim}-d image")
    return axis % ndim


def check_mask(
    mask: object, shape: tuple[int, ...], channel_axis: int | None, name: str = "mask", of: str = "image"
) -> np.ndarray | None:
    """A boolean mask of the shape of ``of`` (the image, or the reference),
    or (with ``channel_axis``) of its shape without the channel axis, which then
    applies to every channel. ``name``: the parameter, for error messages.

    Returns the mask broadcast to ``shape`` (a view, no copy).
    """
    if mask is None:
        return None
    array = np.asarray(mask)
    if array.dtype != np.bool_:
        raise TypeError(f"{name} must be a boolean array; got dtype {array.dtype} (use {name} != 0 to convert)")
    if array.shape == shape:
        return array
    if channel_axis is not None:
        spatial = shape[:channel_axis] + shape[channel_axis + 1 :]
        if array.shape == spatial:
            return np.broadcast_to(np.expand_dims(array, channel_axis), shape)
        raise ValueError(
            f"{name} must have the {of}'s shape {shape} or its shape without the "
            f"channel axis {spatial}; got {array.shape}"
        )
    raise ValueError(f"{name} must have the {of}'s shape {shape}; got {array.shape}")


def check_mask_selects(mask: np.ndarray, channel_axis: int | None, name: str = "mask") -> None:
    """A mask from :func:`check_mask` selects at least one pixel of every
    channel (of the image, without ``channel_axis``)."""
    if channel_axis is None:
        if not mask.any():
            raise ValueError(f"{name} selects no pixel; at least one is needed")
        return
    spatial = tuple(axis for axis in range(mask.ndim) if axis != channel_axis)
    empty = np.flatnonzero(~mask.any(axis=spatial))
    if empty.size:
        raise ValueError(f"{name} selects no pixel of channel {int(empty[0])}; every channel needs at least one")


def check_reference_channels(shape: tuple[int, ...], channel_axis: SupportsIndex | None, channels: int) -> int | None:
    """The reference's channel axis (``channel_axis``, already checked against
    the image, counted in the reference's dimensions), which must hold the
    image's number of ``channels``."""
    if channel_axis is None:
        return None
    axis, ndim = operator.index(channel_axis), len(shape)
    if ndim < 2 or not -ndim <= axis < ndim:
        raise ValueError(f"reference has shape {shape}: no channel axis {axis} with the image's {channels} channels")
    if shape[axis] != channels:
        raise ValueError(f"reference has {shape[axis]} channels along channel_axis {axis}; image has {channels}")
    return axis % ndim


def check_skimage_matching(image: np.ndarray, reference: np.ndarray, mask: object, reference_mask: object) -> None:
    """What ``skimage.exposure.match_histograms`` accepts: no masks, a reference
    with the image's number of dimensions, and an integer reference for an
    unsigned image (scikit-image counts both with ``np.bincount``)."""
    for name, value in (("mask", mask), ("reference_mask", reference_mask)):
        if value is not None:
            raise ValueError(
                f"{name} is not available with method='skimage' (scikit-image has no masks); use method='histeq'"
            )
    if image.ndim != reference.ndim:
        raise ValueError(
            f"method='skimage' needs a reference with the image's {image.ndim} dimensions "
            f"(as scikit-image); got reference of shape {reference.shape}"
        )
    if image.dtype.kind == "u" and not is_integer(reference.dtype):
        raise TypeError(
            f"method='skimage' with an unsigned image needs an integer reference (scikit-image "
            f"counts it with np.bincount); got reference dtype {reference.dtype}"
        )


def check_value_range(value_range: object, dtype: np.dtype) -> tuple[float, float] | tuple[int, int] | None:
    """``None`` or ``(low, high)`` with finite ``low <= high``: Python ints for
    integer images (within the dtype), Python floats for float images. Each
    end must be a real number (Python or numpy int or float, not a string or
    bool)."""
    if value_range is None:
        return None
    try:
        # Items of any type: checked below.
        first, last = cast("Iterable[Any]", value_range)
    except (TypeError, ValueError):
        raise TypeError(f"value_range must be a pair (low, high); got {value_range!r}") from None
    if not (_is_real(first) and _is_real(last)):
        raise TypeError(f"value_range must be a pair of numbers; got {value_range!r}")
    low: float
    high: float
    if is_integer(dtype):
        try:
            low, high = operator.index(first), operator.index(last)
        except TypeError:
            raise TypeError(
                f"value_range must be a pair of integers for an integer image; got {value_range!r}"
            ) from None
        info = np.iinfo(dtype)
        if low < info.min or high > info.max:
            raise ValueError(f"value_range {value_range!r} exceeds the range of {dtype} ({info.min}..{info.max})")
    else:
        low, high = float(first), float(last)
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ValueError(f"value_range must be finite; got {value_range!r}")
    if low > high:
        raise ValueError(f"value_range must have low <= high; got {value_range!r}")
    return low, high


def _is_real(value: object) -> bool:
    # A Python or numpy int or float (or a 0-d array of one); not a string,
    # bool, complex or object.
    if isinstance(value, (bool, np.bool_, str, bytes)):
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf"


def check_out(out: object, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
    """``None`` or a writeable ndarray of the result's shape and dtype: the
    array to write into (a ``numpy.ma.MaskedArray``'s data, other subclasses
    viewed as plain ndarrays; the caller returns ``out`` itself)."""
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
    if type(out) is not np.ndarray and isinstance(out, np.ma.MaskedArray):
        return np.ma.getdata(out)
    return out if type(out) is np.ndarray else out.view(np.ndarray)


def check_clip_limit(clip_limit: object, default: float) -> float:
    """A finite ``clip_limit >= 0`` (``default`` for None)."""
    if clip_limit is None:
        return default
    if isinstance(clip_limit, (bool, np.bool_)) or not isinstance(clip_limit, (int, float, np.number)):
        raise TypeError(f"clip_limit must be a number; got {type(clip_limit).__name__} {clip_limit!r}")
    value = float(clip_limit)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"clip_limit must be a finite number >= 0 (0: no clipping); got {clip_limit!r}")
    return value


def check_tile_grid(tile_grid: object, ndim: int, shape: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """Tiles per axis: ``None`` (8 each), one positive int for every axis, or
    ``ndim`` positive ints. With the spatial ``shape`` of the image, no axis
    may have more than ``max(pixels along it, MAX_TILES_BEYOND)`` tiles."""
    if tile_grid is None:
        grid: tuple[int, ...] = (8,) * ndim
    else:
        # Items of any type: operator.index checks them (a non-iterable raises
        # TypeError too). Read once: an iterator is consumed here.
        try:
            if isinstance(tile_grid, (int, np.integer)):
                values: tuple[Any, ...] = (tile_grid,) * ndim
            else:
                values = tuple(cast("Iterable[Any]", tile_grid))
            if any(isinstance(v, (bool, np.bool_)) for v in values):
                raise TypeError
            grid = tuple(operator.index(v) for v in values)
        except TypeError:
            raise TypeError(f"tile_grid must be an int or a tuple of ints; got {tile_grid!r}") from None
        if len(grid) != ndim:
            raise ValueError(f"tile_grid must have one entry per spatial axis ({ndim}); got {len(grid)}: {tile_grid!r}")
        if min(grid) < 1:
            raise ValueError(f"tile_grid entries must be at least 1; got {tile_grid!r}")
    if shape is not None:
        for axis, (tiles, size) in enumerate(zip(grid, shape)):
            if tiles > max(size, MAX_TILES_BEYOND):
                raise ValueError(
                    f"tile_grid {grid} has {tiles} tiles along spatial axis {axis}, which has only {size} "
                    f"pixels; at most max({size}, {MAX_TILES_BEYOND}) tiles are allowed along an axis"
                )
    return grid


def check_bit_shift(bit_shift: object, dtype: np.dtype) -> int:
    """OpenCV's bit shift: 0, or ``0 .. bits - 1`` for 8/16-bit integers."""
    if isinstance(bit_shift, (bool, np.bool_)) or not isinstance(bit_shift, (int, np.integer)):
        raise TypeError(f"bit_shift must be an integer; got {bit_shift!r}")
    if bit_shift == 0:
        return 0
    if not (is_integer(dtype) and dtype.itemsize <= 2):
        raise ValueError(f"bit_shift applies to 8- and 16-bit integer images; got dtype {dtype}")
    bits = 8 * dtype.itemsize
    if not 0 <= bit_shift < bits:
        raise ValueError(f"bit_shift must be between 0 and {bits - 1} for {dtype}; got {bit_shift}")
    return int(bit_shift)


def check_choice(name: str, value: object, allowed: Collection[str]) -> str:
    """``value`` is one of ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def check_alpha(alpha: object) -> float:
    """A finite ``alpha > 0``."""
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.number)):
        raise TypeError(f"alpha must be a number; got {alpha!r}")
    if not (np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha must be a finite number > 0; got {alpha!r}")
    return float(alpha)


def check_filters(filters: object) -> int:
    """The number of neighbourhood filters of exact specification: an int in 1 .. 16."""
    if isinstance(filters, (bool, np.bool_)) or not isinstance(filters, (int, np.integer)):
        raise TypeError(f"filters must be an integer; got {filters!r}")
    if not 1 <= filters <= 16:
        raise ValueError(f"filters must be between 1 and 16; got {filters}")
    return int(filters)
