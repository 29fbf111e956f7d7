"""``histeq.clahe``: contrast-limited adaptive histogram equalization.

count (per-tile histograms) -> plan (clip, redistribute, per-tile LUTs) ->
apply (every pixel blends the LUTs of its nearest tiles), in 1-D, 2-D and 3-D.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._clahe.plane import MAX_CODED_BINS, blend_into, clip_pixels, distribution_curve, lift, plane_codes
from ._clahe.tiles import separate_slices
from ._core.batch import Batch, check_batch_axis, item_planes, over_items, run_each
from ._core.colour_modes import ColourMode, check_colour_mode
from ._core.colour_modes import run as run_colour_mode
from ._core.colour_spaces import skimage_hsv_split
from ._core.layout import channel_planes, unshared
from ._core.levels import is_small_integer
from ._core.methods import CLAHE_IMAGE_METHODS, CLAHE_METHODS
from ._core.targets import CLAHE_DISTRIBUTIONS, DEFAULT_ALPHA
from ._core.validate import (
    as_image,
    check_alpha,
    check_bit_shift,
    check_channel_axis,
    check_choice,
    check_clip_limit,
    check_nbins,
    check_out,
    check_tile_grid,
)
from ._dask import is_dask_array
from .backends import kernels


def clahe(
    image: np.ndarray,
    *,
    clip_limit: float | None = None,
    tile_grid: int | tuple[int, ...] | None = None,
    method: str = "opencv",
    kernel_size: int | tuple[int, ...] | None = None,
    nbins: int | None = None,
    bit_shift: int = 0,
    distribution: str = "uniform",
    alpha: float = DEFAULT_ALPHA,
    channel_axis: int | None = None,
    batch_axis: int | tuple[int, ...] | None = None,
    out: np.ndarray | None = None,
    color: str | None = None,
    channel_order: str = "rgb",
    keep_alpha: bool = False,
) -> np.ndarray:
    """Contrast-limited adaptive histogram equalization (CLAHE).

    The image is cut into a grid of tiles; each tile's histogram is clipped
    at ``clip_limit``, the clipped pixels are spread over all bins, and the
    tile's cumulative histogram becomes its LUT. Every pixel is mapped through
    the LUTs of its 2 (1-D), 4 (2-D) or 8 (3-D) nearest tiles, blended by
    distance.

    Parameters
    ----------
    image : ndarray, 1-D, 2-D or 3-D (plus a channel axis), integer or float
        Not modified (unless it is also ``out``). A ``numpy.ma.MaskedArray``
        is refused (TypeError): clahe has no mask, so pass
        ``image.filled(value)`` or ``np.asarray(image)``.
    clip_limit : float >= 0, optional
        ``"opencv"``: a multiple of the mean bin height; each bin keeps at most
        ``max(int(clip_limit * tile_pixels / bins), 1)`` pixels; 0 means no
        clipping, and so does any limit of ``bins`` or more (no bin can pass
        ``tile_pixels``), however large. (OpenCV's own int conversion
        overflows once ``clip_limit * tile_pixels / bins`` reaches 2**31: on
        x86 it then clips every bin at 1 pixel; histeq equals OpenCV for
        every limit below that.) Default 40.0 (OpenCV's default; 2.0 to 4.0
        is typical).
        ``"skimage"``: scikit-image's fraction of the window's pixels (default
        0.01; 1 and more: no clipping, also where scikit-image's int
        conversion overflows). See the conversion table in the README.
    tile_grid : int or tuple of int, optional
        ``"opencv"``: tiles per axis, in array axis order (rows, columns[,
        ...]) -- the reverse of OpenCV's ``tileGridSize=(width, height)``.
        Default 8 per axis. At most ``max(pixels along the axis, 16)`` tiles
        along an axis (ValueError otherwise). OpenCV accepts any grid: more
        tiles than pixels make tiles of one pixel, of the image's mirrored
        padding past its end, and a grid of 2**31 tiles asks for gigabytes;
        histeq equals OpenCV on every grid it accepts.
    method : {"opencv", "skimage", "imagemagick"}
        - ``"opencv"`` (default): ``cv2.createCLAHE(clip_limit, (gx, gy))
          .apply`` bit for bit on 2-D uint8 and uint16 images (including
          OpenCV 5's ``setBitShift`` as ``bit_shift``), and the same algorithm
          on every other image: 1-D and 3-D (trilinear blend), int8/int16
          (levels offset from the dtype's minimum), wider integers and floats
          (``nbins`` bins over the occupied range).
        - ``"skimage"``: ``skimage.exposure.equalize_adapthist`` bit for bit,
          2-D and 3-D, float output; colour is never guessed from the shape.
        - ``"imagemagick"``: ImageMagick 7's ``-clahe HxW+nbins+clip_limit``
          bit for bit as its Q8 build computes it (checked against
          magick-wasm 7.1.2), 2-D uint8: grey images, and sRGB ones with
          ``channel_axis`` (3 samples, 4 with ``keep_alpha``) and ``color``
          unset; ImageMagick equalizes the L of its own Lab in both cases
          (see ``docs/methods.md``). Default ``clip_limit`` 3, ``nbins``
          128 (at most 256 used), tiles an eighth of the image.
    kernel_size : int or tuple of int, optional
        ``"skimage"``: the tile size, as scikit-image's ``kernel_size``.
        ``"imagemagick"``: the tile's ``(height, width)`` in pixels
        (ImageMagick's ``WxH``; 0: an eighth of the image).
    nbins : int, optional
        ``"opencv"``: bins for float images (default 256) and for integers
        wider than 16 bits whose occupied range spans more than 65535 levels
        (default 65535; narrower ranges get one bin per level). At most 65535.
        8/16-bit images use one bin per level (see ``bit_shift``).
        ``"skimage"``: scikit-image's ``nbins`` (default 256).
    bit_shift : int
        ``"opencv"``, 8/16-bit images: OpenCV 5's bit shift: bins are
        ``level >> bit_shift`` and results are shifted back.
    distribution : {"uniform", "rayleigh", "exponential"}
        ``"opencv"``: the shape of each tile's output histogram, as MATLAB's
        ``adapthisteq``: uniform is OpenCV's ``round(cdf * top / tile_pixels)``;
        rayleigh and exponential map the clipped cdf through the inverse of
        that distribution (with parameter ``alpha``), rounded to levels.
    alpha : float > 0
        The rayleigh / exponential parameter (MATLAB's ``Alpha``, default 0.4).
    channel_axis : int, optional
        Process each channel along this axis on its own.
    batch_axis : int or tuple of int, optional
        Every index along these axes is an image of its own (1-D, 2-D or 3-D
        besides ``channel_axis``), bit-identical to calling ``clahe`` on each;
        e.g. ``(B, C, H, W)`` with ``batch_axis=0, channel_axis=1``. With
        ``"opencv"``, C-contiguous 8/16-bit planes of 2-D images are stacked
        and processed in one call, each plane on its own tiles; other
        batches spread many items (with their channels) over the threads
        and run a few one after another, each on every thread.
    out : ndarray, optional
        Where to write the result (same shape, the result's dtype). May be
        ``image`` itself, or overlap it in any other way (then the result is
        computed from a copy of ``image``). Returned as given.
    color : {"channels", "ycrcb", "lab", "hsv"}, optional
        As in :func:`histeq.equalize` (``"joint"`` is refused: tiles are
        spatial). ``"ycrcb"`` and ``"lab"`` on uint8 are bit-identical to
        OpenCV's round trip with ``cv2.createCLAHE(...).apply`` on Y or L.
        ``color="hsv"`` with ``method="skimage"`` on RGB is
        ``skimage.exposure.equalize_adapthist(rgb)`` (V from ``rgb2hsv``,
        float64 RGB out, within 1e-12).
    channel_order : {"rgb", "bgr"}
        As in :func:`histeq.equalize`.
    keep_alpha : bool
        As in :func:`histeq.equalize`. CLAHE has no mask: transparent pixels
        are counted in their tiles.

    Returns
    -------
    ndarray
        Same shape as ``image``. ``"opencv"``: the input's dtype (integers over
        the dtype's full range, floats in [0, 1] with NaN kept). ``"skimage"``:
        float64 (float32 for float16/float32 input), as scikit-image.

    Raises
    ------
    TypeError, ValueError
        Naming the parameter: a tile grid with zeros, of the wrong length or
        with more tiles than an axis allows, a negative or non-finite clip
        limit, parameters of the other method, images of more than 3 spatial
        dimensions, masked arrays, +-inf, ...

    Notes
    -----
    OpenCV's tiling, kept on every image: when some axis does not divide
    into its tiles, *every* axis is padded at its end (reflect-101) by
    ``tiles - size % tiles`` pixels, a whole tile on axes that divided
    evenly. The padding only feeds the tile histograms. Unlike global
    equalization, a constant image does not stay constant.

    Memory (``"opencv"``): the output; a 2-byte LUT entry per tile and
    occupied bin (8 MB for 64 tiles of 65536 bins); per thread, the
    histograms of a row of tiles (at most 512 KB, else one tile's) and the
    blend's tables of 8 bytes per bin for a few tiles (about 2 MB at most); a
    copy of a channel whose rows are not contiguous. Float images and wide integers also keep a
    2-byte bin code per pixel (float16 input is converted to float32 first;
    wide integers in a narrow range pass through one copy of their dtype),
    and their output goes through a 4-byte blend per pixel (8 for wide
    integers' final conversion) unless it is C-contiguous float32/float64.
    An ``out`` that overlaps ``image`` other than exactly costs one copy of
    ``image``.
    """
    options: dict[str, Any] = {  # every option but the image's axes and out
        "clip_limit": clip_limit,
        "tile_grid": tile_grid,
        "method": method,
        "kernel_size": kernel_size,
        "nbins": nbins,
        "bit_shift": bit_shift,
        "distribution": distribution,
        "alpha": alpha,
        "color": color,
        "channel_order": channel_order,
        "keep_alpha": keep_alpha,
    }
    if is_dask_array(image):  # lazy, block by block (histeq._dask)
        from ._dask.clahe import clahe_dask

        return clahe_dask(image, channel_axis=channel_axis, batch_axis=batch_axis, out=out, **options)
    if isinstance(image, np.ma.MaskedArray):
        raise TypeError(
            "clahe has no mask parameter, so it cannot honour a numpy.ma.MaskedArray's mask (every "
            "pixel of a tile is counted); pass image.filled(value) or np.asarray(image) (its data)"
        )
    image = as_image(image)
    method = check_choice("method", method, {**CLAHE_METHODS, **CLAHE_IMAGE_METHODS})
    axis = check_channel_axis(channel_axis, image.ndim)
    batch = check_batch_axis(batch_axis, image.shape, axis)
    spatial = image.ndim - (axis is not None) - (0 if batch is None else len(batch.axes))
    if not 1 <= spatial <= 3:
        raise ValueError(
            f"clahe works on 1-D, 2-D and 3-D images (plus a channel axis and batch axes); got {spatial} "
            "spatial dimensions (use channel_axis for a colour axis, batch_axis for a batch of images)"
        )
    if method == "imagemagick" and color in (None, "channels") and batch is None:  # unset: ImageMagick's own Lab
        from ._clahe.imagemagick import clahe_imagemagick

        if tile_grid is not None or bit_shift or distribution != "uniform" or alpha != DEFAULT_ALPHA:
            raise ValueError("method='imagemagick' takes clip_limit, kernel_size (the tile's size) and nbins only")
        per_channel = color == "channels"
        return clahe_imagemagick(
            image, axis, clip_limit, kernel_size, nbins, keep_alpha, channel_order, per_channel, out
        )
    colour = check_colour_mode(color, channel_order, keep_alpha, axis, image.shape)
    if batch is not None and (colour is not None or method != "opencv"):
        item_axis = batch.item_axis(axis)
        return over_items(
            image,
            None,
            batch,
            None,
            out,
            lambda item, _, target, __: clahe(item, channel_axis=item_axis, out=target, **options),
        )
    if colour is not None:

        def grey(plane: np.ndarray, channel_axis: int | None = None) -> np.ndarray:
            return clahe(
                plane,
                clip_limit=clip_limit,
                tile_grid=tile_grid,
                method=method,
                kernel_size=kernel_size,
                nbins=nbins,
                bit_shift=bit_shift,
                distribution=distribution,
                alpha=alpha,
                channel_axis=channel_axis,
            )

        return _clahe_colour(image, colour, method, out, grey)
    clip = check_clip_limit(clip_limit, CLAHE_METHODS[method].default_clip)
    nbins = check_nbins(nbins)
    if method == "skimage":
        return _skimage(image, clip, tile_grid, kernel_size, nbins, bit_shift, distribution, alpha, axis, out)
    if kernel_size is not None:
        raise ValueError("kernel_size is scikit-image's parameter (method='skimage'); use tile_grid")
    others = (axis,) if batch is None else (axis, *batch.axes)
    grid, shift, distribution, alpha = check_opencv_options(
        tuple(n for i, n in enumerate(image.shape) if i not in others),
        image.dtype,
        tile_grid,
        bit_shift,
        distribution,
        alpha,
        nbins,
    )
    result = check_out(out, image.shape, image.dtype)
    if result is None:
        result = np.empty_like(image)
    image = unshared(image, result)  # an out that overlaps it partially: work from a copy
    if batch is not None and spatial == 2 and is_small_integer(image.dtype):
        # a batch of 8/16-bit 2-D images: every plane's tiles counted, planned and blended in one call
        stack, target_stack = _stacked(image, batch, axis), _stacked(result, batch, axis)
        if stack is not None and target_stack is not None:
            _opencv_plane(stack, target_stack, clip, grid, shift, nbins, distribution, alpha, slices=True)
            return result if out is None else out
    planes = list(zip(item_planes(image, batch, axis), item_planes(result, batch, axis)))

    def run(plane: int) -> None:
        _opencv_plane(*planes[plane], clip, grid, shift, nbins, distribution, alpha)

    run_each(run, len(planes), planes[0][0].size)
    return result if out is None else out


def check_opencv_options(
    spatial: tuple[int, ...],
    dtype: np.dtype,
    tile_grid: object,
    bit_shift: object,
    distribution: object,
    alpha: object,
    nbins: int | None,
) -> tuple[tuple[int, ...], int, str, float]:
    """``(grid, shift, distribution, alpha)``: method ``"opencv"``'s options
    checked for images of ``dtype`` whose spatial shape is ``spatial``, and
    the checked ``nbins`` refused where it does not apply (8/16-bit images)
    or exceeds :data:`MAX_CODED_BINS`."""
    grid = check_tile_grid(tile_grid, len(spatial), spatial)
    shift = check_bit_shift(bit_shift, dtype)
    checked_distribution = check_choice("distribution", distribution, CLAHE_DISTRIBUTIONS)
    checked_alpha = check_alpha(alpha)
    if is_small_integer(dtype) and nbins is not None:
        raise ValueError(
            f"nbins applies to float and wide integer images; {dtype} images use one bin "
            "per level (use bit_shift to merge levels)"
        )
    if nbins is not None and nbins > MAX_CODED_BINS:
        raise ValueError(f"nbins must be at most {MAX_CODED_BINS} for clahe; got {nbins}")
    return grid, shift, checked_distribution, checked_alpha


def _clahe_colour(
    image: np.ndarray, colour: ColourMode, method: str, out: np.ndarray | None, grey: Callable[..., np.ndarray]
) -> np.ndarray:
    """``clahe`` in a ``color=`` mode: the luminance plane or the colour channels
    through ``grey`` (clahe with the caller's options). ``"hsv"`` with
    ``method="skimage"`` is scikit-image's RGB CLAHE: V from ``rgb2hsv``,
    float64 RGB out."""
    if colour.mode == "joint":
        raise ValueError(
            "color='joint' is not available for clahe: its tiles are spatial, so the channels cannot "
            "share them; use a colour space ('ycrcb', 'lab', 'hsv') or 'channels'"
        )
    if method == "skimage" and colour.luminance:
        if colour.mode != "hsv" or image.shape[colour.axis] != 3 or colour.order != "rgb":
            raise ValueError(
                "method='skimage' works in colour as scikit-image does: color='hsv' on RGB "
                "(3 samples, channel_order='rgb'); use method='opencv' for other colour modes"
            )
        value, hsv = skimage_hsv_split(np.moveaxis(image, colour.axis, -1))
        result = np.moveaxis(hsv.merge(grey(value)), -1, colour.axis)
        target = check_out(out, image.shape, result.dtype)
        if target is None:
            return result
        target[...] = result
        return target
    checked_out = check_out(out, image.shape, image.dtype)
    return run_colour_mode(
        image, colour, None, checked_out, lambda plane, _: grey(plane), lambda colours, _: grey(colours, -1)
    )


def _stacked(array: np.ndarray, batch: Batch, axis: int | None) -> np.ndarray | None:
    """An array of the image's shape as a C-contiguous ``(planes, rows,
    columns)`` view of every item's every channel, or None when it is laid
    out otherwise."""
    leading = (*batch.axes, *(() if axis is None else (axis,)))
    moved = np.moveaxis(array, leading, range(len(leading)))
    return moved.reshape(-1, *moved.shape[-2:]) if moved.flags.c_contiguous else None


def _opencv_plane(plane, target, clip, grid, shift, nbins, distribution, alpha, slices=False) -> None:
    """OpenCV's CLAHE of one channel ``plane`` into ``target``; ``slices``:
    ``plane`` is ``(n, rows, columns)``, n 2-D images each with its own tiles
    (:func:`._clahe.tiles.separate_slices`), the same results as one by one."""
    tiles = kernels(plane).tiles

    if slices:
        shape3, axes = plane.shape, (separate_slices(plane.shape[0]), *lift(plane.shape[1:], grid)[1][1:])
    else:
        shape3, axes = lift(plane.shape, grid)
    codes, flip, levels = plane_codes(plane, nbins)
    codes = codes.reshape(shape3)
    bins = levels >> shift
    # LUTs hold only the occupied bins lo .. hi (the plan accounts for the
    # others): 16-bit images rarely fill 65536 levels.
    lo, hi = 0, bins - 1
    if is_small_integer(plane.dtype) and bins > 256:  # small tables: lo = 0 is faster
        lo, hi = (level >> shift for level in tiles.code_range(codes, flip))
    area = axes[0].length * axes[1].length * axes[2].length
    limit = clip_pixels(clip, area, bins)
    top = bins - 1
    scale = np.float32(top) / np.float32(area)
    curve = None if distribution == "uniform" else distribution_curve(distribution, alpha, area, top)
    luts = tiles.opencv_luts(codes, flip, shift, lo, axes, hi - lo + 1, bins, limit, scale, top, curve)
    blend_into(target, codes, flip, shift, lo, top, luts, axes)


def _skimage(image, clip, tile_grid, kernel_size, nbins, bit_shift, distribution, alpha, axis, out):
    """``method="skimage"``: scikit-image's algorithm, per channel."""
    from ._clahe.skimage import skimage_clahe

    for name, value, default in (
        ("tile_grid", tile_grid, None),
        ("bit_shift", bit_shift, 0),
        ("distribution", distribution, "uniform"),
        ("alpha", alpha, DEFAULT_ALPHA),
    ):
        if value != default:
            raise ValueError(f"{name} is not a parameter of method='skimage' (scikit-image has no such option)")
    planes = [
        skimage_clahe(plane, kernel_size=kernel_size, clip_limit=clip, nbins=nbins or 256)
        for plane in channel_planes(image, axis)
    ]
    result = np.stack(planes, axis=axis) if axis is not None else planes[0]
    target = check_out(out, image.shape, result.dtype)
    if target is None:
        return result
    target[...] = result
    return out
