"""``histeq.equalize``: global histogram equalization."""

from __future__ import annotations

import numpy as np

from ._core.batch import Batch, batch_mask, check_batch_axis, over_items
from ._core.binning import BYTE_LEVELS, LevelBins, choose_binning
from ._core.colour_modes import check_colour_mode, visible
from ._core.colour_modes import run as run_colour_mode
from ._core.colour_modes import run_lut as run_colour_lut
from ._core.item_tables import apply_table, count_table, fixed_levels, item_lines, pixel_order, plan_table
from ._core.layout import contiguous_order, interleaved_rgb, line_pairs, unshared
from ._core.levels import is_integer
from ._core.methods import Method, equalize_method
from ._core.plan import build_plan
from ._core.plans import opencv
from ._core.targets import check_target, default_levels, target_weights
from ._core.validate import (
    as_image,
    check_channel_axis,
    check_mask,
    check_nbins,
    check_out,
    unmask,
)
from ._dask import is_dask_array
from .backends import kernels


def equalize(
    image: np.ndarray,
    *,
    method: str = "opencv",
    nbins: int | None = None,
    mask: np.ndarray | None = None,
    channel_axis: int | None = None,
    batch_axis: int | tuple[int, ...] | None = None,
    out: np.ndarray | None = None,
    target: object = None,
    color: str | None = None,
    channel_order: str = "rgb",
    keep_alpha: bool = False,
    count_transparent: bool = False,
) -> np.ndarray:
    """Equalize the histogram of an image, or specify it to a ``target``.

    Each pixel is mapped through the normalized cumulative histogram of the
    image (of each channel, with ``channel_axis``). ``method`` picks the exact
    formula; see the table in the README.

    Parameters
    ----------
    image : ndarray, any shape, integer or float dtype
        The image: 2-D, a 3-D volume, a batch, ... Not modified (unless it is
        also ``out``). A ``numpy.ma.MaskedArray`` counts only its unmasked
        pixels (combined with ``mask`` by AND); every pixel is mapped, masked
        ones too, and the result is a MaskedArray with a copy of its mask.
    method : {"opencv", "textbook", "skimage", "pillow", "matlab", "bbhe", "dsihe", \
"imagej", "imagej-classic", "imagemagick", "vips", "ffmpeg"} or "ffmpeg:OPTIONS"
        - ``"opencv"`` (default): ``round((cdf - cdf_min) * top / (N - cdf_min))``,
          half to even, in float32 for 8-bit images; bit-identical to
          ``cv2.equalizeHist`` for uint8. The lowest occupied level maps to the
          dtype's minimum, the highest to its maximum.
        - ``"textbook"``: Gonzalez & Woods, ``round(top * cdf / N)``; the lowest
          level maps to ``top * h[v0] / N``, not to the minimum.
        - ``"skimage"``: ``skimage.exposure.equalize_hist`` to the last bit,
          float output (float32 for float16/32 input, else float64). Integer
          images use one bin per level (``nbins`` is ignored, as there); for
          integers whose range spans more than 65536 levels (where
          scikit-image builds a histogram of that many bins) histeq uses 65536
          equal bins instead.
        - ``"pillow"``: ``PIL.ImageOps.equalize`` (and torchvision), uint8 only.
        - ``"matlab"``: MATLAB's ``histeq(I)``: specification to 64 equally
          populated levels (or to ``target``) with MATLAB's rule: bin ``k``
          maps to the smallest level ``j`` whose scaled target cdf ``T[j]``
          reaches ``cdf[k] - h[k] / 2 - N * sqrt(eps)`` (``h[k] / 2`` is 0 for
          the first and last bin); level ``j`` of ``L`` is
          ``min + round(j * (max - min) / (L - 1))`` (``j / (L - 1)`` for
          floats), so uint8 output has at most 64 values
          ``round(255 * j / 63)``. Written from MATLAB's documented behaviour
          and source-level description and tested for its documented
          properties, not compared with MATLAB itself. Bins are histeq's
          (uint8: the same 256 as MATLAB; uint16: one per level, where
          MATLAB uses 256).
        - ``"bbhe"`` (Kim 1997) and ``"dsihe"`` (Wang 1999): brightness
          preserving. The histogram is split at bin ``s``: the mean bin
          ``floor(sum(k * h[k]) / N)`` (bbhe) or the median bin, the first
          with ``2 * cdf[s] >= N`` (dsihe). Bins ``0..s`` are equalized into
          ``[0, a]``, bins ``s+1..`` into ``[b, top]``, each half with its own
          textbook cdf: ``round(a * cdf_low / N_low)`` and
          ``round(b + (top - b) * cdf_high / N_high)``, half to even. ``a``
          and ``b`` are the output positions of bins ``s`` and ``s + 1`` with
          bins spread over the output range (bin ``k`` at
          ``round(k * top / (B - 1))``: the level itself for 8/16-bit
          integers). A constant image has an empty upper half and comes
          back unchanged (8/16-bit integers).
        - The image tools', bit-identical to the tools on uint8 and uint16
          (ffmpeg: uint8) and refusing other dtypes and ``nbins``; formulas
          and the versions checked in ``docs/methods.md``. ``"imagej"``:
          ImageJ's Enhance Contrast > Equalize, each level weighted by the
          square root of its count, trapezoidal sums; ``"imagej-classic"``:
          the same with plain counts; an RGB uint8 image (``channel_axis``,
          ``color`` unset) as ImageJ's ``ColorProcessor``, one histogram of
          ``(r + g + b) / 3`` and one LUT for all three. ``"imagemagick"``:
          ImageMagick 6 Q16's ``-equalize`` (``cdf - h[0]``, not
          ``cdf - cdf_min``; uint8 written as its PNG writer does); with
          ``channel_axis`` (and ``color`` unset) an RGB image as ImageMagick
          equalizes it by default, one histogram of its Rec. 709 luma and
          one map for all three samples (``color="channels"``: each channel
          alone, ``-channel RGB``).
          ``"vips"``: libvips' ``hist_equal``, float32 scaling to the last bin
          (uint16: the image's own maximum), truncated. ``"ffmpeg"``:
          ffmpeg's ``histeq`` filter; options in its own syntax,
          ``"ffmpeg:strength=0.3:intensity=0.5:antibanding=weak"`` (or
          ``"ffmpeg:0.3:0.5:weak"``). With ``channel_axis`` (and ``color``
          unset) an RGB frame has one luma histogram,
          ``(55 R + 182 G + 19 B) >> 8``, and its samples scaled together by
          ``lut[luma] / luma``; grey images are a LUT of their levels.
    nbins : int, optional
        Number of equal-width bins: default 256 for floats; integers default
        to one bin per level (see :func:`histeq.histogram`).
    mask : ndarray of bool, optional
        Only pixels where ``mask`` is True are counted; the mapping is applied
        to every pixel (as Pillow and scikit-image do). Same shape as
        ``image`` or, with ``channel_axis``, without the channel axis.
    channel_axis : int, optional
        Equalize each channel along this axis on its own, exactly as if it were
        a separate image. Colour is never guessed from the shape.
    batch_axis : int or tuple of int, optional
        Every index along these axes is an image of its own, with its own
        histogram and plan: bit-identical to a loop of ``equalize`` over the
        items, for every method, dtype and option (e.g. ``(B, C, H, W)``
        with ``batch_axis=0, channel_axis=1``; ``(N, H, W, 3)`` with
        ``batch_axis=0, channel_axis=-1``). ``mask`` may then have the
        image's shape (a mask per item) or that shape without the batch axes
        (one mask for every item), either also without the channel axis; a
        mask whose shape fits two of these readings is refused (broadcast it
        to the image's shape). 8- and 16-bit integer batches (``color``
        ``"channels"``, no ``keep_alpha`` or ``nbins``) are counted into one
        ``(items, channels, levels)`` table, planned row by row and mapped in
        one pass, items spread over the threads; other batches run item by
        item (over the threads when there are many items). An item that
        raises (e.g. +-inf) stops the call: with ``out``, the items before
        it may be written already.
    out : ndarray, optional
        Where to write the result: same shape, the result's dtype. May be
        ``image`` itself for in-place equalization, or any array that
        overlaps it otherwise (a reversed or shifted view of the same
        buffer: the result is computed from a copy of ``image``). Returned
        as given.
    target : array_like or str or tuple, optional
        Histogram specification (MATLAB's ``histeq(I, hgram)``) with the
        ``"matlab"`` rule above; ``method`` must then be left at its default
        or be ``"matlab"``. Either 1-D non-negative weights of any length
        ``L >= 1`` (level ``j`` at ``j / (L - 1)`` of the output range), or a
        distribution sampled at every level of 8/16-bit integers (65536
        levels otherwise): ``"uniform"``, ``"gaussian"`` or
        ``("gaussian", mean, std)`` (fractions of the range, default 0.5, 0.2),
        ``"rayleigh"`` / ``("rayleigh", alpha)`` and ``"exponential"`` /
        ``("exponential", alpha)`` (default alpha 0.4, MATLAB adapthisteq's
        formulas over [0, 1]).

    color : {"channels", "joint", "ycrcb", "lab", "hsv"}, optional
        How colour along ``channel_axis`` is treated (default ``"channels"``:
        each channel on its own). ``"joint"``: one histogram pooled over the
        colour channels and one mapping for all (scikit-image's
        ``equalize_hist`` on an RGB array). ``"ycrcb"``: equalize Y and
        convert back; uint8/uint16 bit-identical to ``cv2.cvtColor(RGB2YCrCb)``
        -> ``cv2.equalizeHist`` on Y -> ``cv2.cvtColor(YCrCb2RGB)``.
        ``"lab"``: equalize L*; uint8 bit-identical to OpenCV's 8-bit Lab
        round trip; uint16 and floats CIE L*a*b* (D65) as scikit-image's
        ``rgb2lab``/``lab2rgb``. ``"hsv"``: equalize V = max(R, G, B) and
        scale each pixel to its new V (hue and saturation kept; black becomes
        grey). The colour spaces need 3 or 4 samples along ``channel_axis``
        (a 4th is alpha and comes back as it was), uint8, uint16, float32 or
        float64 (floats in [0, 1]), and a method that returns the image's
        dtype. ``mask`` then selects pixels: the image's shape without the
        channel axis.
    channel_order : {"rgb", "bgr"}
        The order of the colour samples for the colour spaces (``"bgr"``:
        OpenCV's arrays, no copy needed).
    keep_alpha : bool
        With ``"channels"`` or ``"joint"``: a last channel of 2 (grey+alpha)
        or 4 (RGBA) is alpha and comes back as it was.
    count_transparent : bool
        Where a channel is alpha (``keep_alpha``, or a 4th sample in a colour
        space): False (default) counts only pixels whose alpha is above 0
        (invisible pixels do not shape the histogram; combined with ``mask``
        by AND), True counts every pixel. Every pixel is mapped either way.

    Returns
    -------
    ndarray
        Same shape as ``image``. Dtype: the input's for every method but
        ``"skimage"`` (integers over the dtype's full range,
        floats in [0, 1]); float for ``"skimage"``.

    Raises
    ------
    TypeError, ValueError
        For unsupported dtypes (bool, complex, object, ...), 0-d or empty
        images, an unknown method, ``"pillow"`` on non-uint8 images, bad
        ``nbins``/``mask``/``channel_axis``/``out``/``target`` (negative,
        NaN or all-zero weights, wrong shape, unknown name), and images with
        +-inf.

    Notes
    -----
    Defined edge cases, never a division by zero:

    - A constant image (one occupied bin) and a mask that selects nothing
      return the image unchanged for ``"opencv"`` and ``"pillow"`` (as OpenCV
      and Pillow do). An empty mask also leaves it unchanged for
      ``"matlab"``/``target``, ``"bbhe"`` and ``"dsihe"``. ``"textbook"``
      maps a constant image to the top value (1.0 for floats) and returns it
      unchanged for an empty mask.
      ``"skimage"`` follows scikit-image (constant integers -> 1.0, constant
      floats -> 0.5) and raises ValueError for an empty mask.
    - Float images: NaN is not counted and stays NaN; +-inf raises ValueError.
      Float bins span the finite min..max of the counted pixels and are
      computed exactly as ``np.histogram`` does.
    - Integers wider than 16 bits are counted one bin per level over their
      occupied range when it spans at most 65536 levels, else in 65536 equal
      bins (or ``nbins``); pixels in one bin share one output value.

    Memory: the output, plus histograms and LUTs of at most a few hundred KB
    per thread (a batch of 8/16-bit integers: an int64 count and an output
    value per item, channel and level, 3 KB per 8-bit channel, 640 KB per
    16-bit one); no float copy of the image. Large float images (and integers
    in equal bins) also keep a uint16 bin code per pixel (2 bytes a pixel, one
    channel at a time) between counting and mapping. Planes that are not one evenly
    strided line (e.g. negative strides) and ``out`` arrays laid out
    differently from ``image`` use one channel-sized buffer at a time. An
    ``out`` that overlaps ``image`` other than exactly (``image`` itself, or
    a view of the same memory laid out alike) costs one copy of ``image``;
    telling costs one bounds check for arrays that do not overlap.
    """
    if is_dask_array(image):  # lazy, block by block (histeq._dask)
        from ._dask.equalize import equalize_dask

        return equalize_dask(
            image,
            method=method,
            nbins=nbins,
            mask=mask,
            channel_axis=channel_axis,
            batch_axis=batch_axis,
            out=out,
            target=target,
            color=color,
            channel_order=channel_order,
            keep_alpha=keep_alpha,
            count_transparent=count_transparent,
        )
    plain = target is None and nbins is None and mask is None and color in (None, "channels") and keep_alpha is False
    plain = plain and batch_axis is None
    if plain and channel_order == "rgb" and _is_plain_bytes(image, method, out, channel_axis):
        result = _equalize_bytes(image, out) if channel_axis is None else _equalize_rgb(image, out)
        if result is not None:
            return result
    data, masked = unmask(image)
    image = as_image(data)
    target_argument, target = target, check_target(target)
    record = equalize_method(method, image.dtype, target=target is not None)
    nbins = check_nbins(nbins)
    axis = check_channel_axis(channel_axis, image.ndim)
    batch = check_batch_axis(batch_axis, image.shape, axis)
    mask = check_mask(mask, image.shape, axis) if batch is None else batch_mask(mask, image.shape, batch, axis)
    if masked is not None:
        mask = masked.counted(mask)
    result_dtype = record.output_dtype(image.dtype)
    result = check_out(out, image.shape, result_dtype)
    if result is not None:  # an out that overlaps the image (or mask) partially: work from a copy
        image = unshared(image, result)
        mask = None if mask is None else unshared(mask, result, exact=False)
    if batch is not None:
        check_colour_mode(color, channel_order, keep_alpha, axis, image.shape, count_transparent)

        def item(source: np.ndarray, item_mask: np.ndarray | None, target: np.ndarray | None, _: object) -> np.ndarray:
            return equalize(
                source,
                method=method,
                nbins=nbins,
                mask=item_mask,
                channel_axis=batch.item_axis(axis),
                out=target,
                target=target_argument,
                color=color,
                channel_order=channel_order,
                keep_alpha=keep_alpha,
                count_transparent=count_transparent,
            )

        plain_levels = color in (None, "channels") and not keep_alpha and (nbins is None or record.maps_values)
        plain_levels = plain_levels and record.frames is None  # ffmpeg maps whole frames
        levels = fixed_levels(image.dtype) if plain_levels else None
        if levels is not None:
            weights = None if target is None else target_weights(target, default_levels(result_dtype))
            tabled = _equalize_table(image, mask, result, batch, axis, levels, record, weights, result_dtype)
            if tabled is not None:
                return out if out is not None else tabled if masked is None else masked.wrap(tabled, image)
        return over_items(image, masked, batch, mask, out, item)
    if record.frames is not None and color is None:  # ffmpeg: whole frames, one luma histogram
        alpha = None
        if isinstance(keep_alpha, (bool, np.bool_)) and keep_alpha:  # its transparent pixels are not counted
            alpha = check_colour_mode(None, "rgb", True, axis, image.shape, count_transparent)
        frame_mask = mask if alpha is None else visible(image, alpha.axis, alpha, mask)
        framed = record.frames(image, axis, frame_mask, result, channel_order, keep_alpha)
        if framed is not None:
            return out if out is not None else framed if masked is None else masked.wrap(framed, image)
    colour = check_colour_mode(color, channel_order, keep_alpha, axis, image.shape, count_transparent)
    if colour is not None:
        mask = visible(image, colour.axis, colour, mask)
        coloured = None
        if record.name == "opencv" and target is None and nbins is None and mask is None:
            # the LUT of the luminance's histogram: uint8 ycrcb / lab in two passes
            coloured = run_colour_lut(image, colour, np.empty_like(image) if result is None else result, _byte_plan)
        if coloured is None:
            coloured = run_colour_mode(
                image,
                colour,
                mask,
                result,
                lambda plane, plane_mask: equalize(
                    plane, method=method, nbins=nbins, mask=plane_mask, target=target_argument
                ),
                lambda colours, colour_mask: equalize(
                    colours, method=method, nbins=nbins, mask=colour_mask, channel_axis=-1, target=target_argument
                ),
            )
        return coloured if masked is None or out is not None else masked.wrap(coloured, image)
    if result is None:
        result = np.empty_like(image, dtype=result_dtype)
    if record.maps_values and is_integer(image.dtype):
        nbins = None  # scikit-image counts integers one bin per level
    weights = None if target is None else target_weights(target, default_levels(result_dtype))
    for pair in line_pairs(image, mask, result, axis):
        binning = choose_binning([(pair.source, pair.mask)], image.dtype, nbins, None)
        if record.maps_values:  # maps float values, not bins: no bin codes to keep
            counts, memo = binning.count(pair.source, pair.mask), None
        else:
            counts, memo = binning.count_for_lut(pair.source, pair.mask)
        build_plan(record, counts, binning, image.dtype, weights).apply_line(pair.source, pair.target, memo)
        pair.finish()
    if out is not None:
        return out
    return result if masked is None else masked.wrap(result, image)


def _equalize_table(
    image: np.ndarray,
    mask: np.ndarray | None,
    result: np.ndarray | None,
    batch: Batch,
    axis: int | None,
    levels: LevelBins,
    record: Method,
    weights: np.ndarray | None,
    result_dtype: np.dtype,
) -> np.ndarray | None:
    # A batch of 8/16-bit integer images: every item's histograms counted into
    # one table, planned row by row, mapped in one pass (see _core.item_tables).
    # None, before any work, when the arrays have no (items, channels, pixels) view.
    order = pixel_order(image, batch, axis)
    lines = item_lines(image, batch, axis, order)
    masks = None if mask is None else item_lines(mask, batch, axis, order)
    if lines is None or (mask is not None and masks is None):
        return None
    if result is None:  # laid out like the image: its lines have the view too
        result = np.empty_like(image, dtype=result_dtype)
    targets = item_lines(result, batch, axis, order)
    if targets is None:
        return None
    luts = plan_table(record, count_table(lines, masks, levels), levels, image.dtype, weights)
    apply_table(luts, lines, targets, levels)
    return result


def _byte_plan(counts: np.ndarray) -> np.ndarray | None:
    # method "opencv" on uint8 levels: cv2.equalizeHist's LUT (None: unchanged)
    return opencv(counts, BYTE_LEVELS, np.dtype(np.uint8))


def _is_plain_bytes(image: object, method: object, out: object, channel_axis: object) -> bool:
    # The common cases, served by _equalize_bytes and _equalize_rgb: a
    # non-empty uint8 array, method "opencv", and no channel axis with a
    # contiguous image (and ``out``, if given, laid out alike), or the last
    # axis as channel axis (_equalize_rgb then checks for RGB triples).
    if not (type(image) is np.ndarray and image.dtype == np.uint8 and image.ndim and image.size):
        return False
    if not (type(method) is str and method == "opencv"):
        return False
    if out is not None and not (
        type(out) is np.ndarray and out.shape == image.shape and out.dtype == np.uint8 and out.flags.writeable
    ):
        return False
    if channel_axis is not None:
        return type(channel_axis) is int and channel_axis in (-1, image.ndim - 1) and image.ndim >= 2
    order = contiguous_order(image)
    return order is not None and (out is None or contiguous_order(out) == order)


def _equalize_rgb(image: np.ndarray, out: np.ndarray | None) -> np.ndarray | None:
    # ``equalize`` of each interleaved channel of uint8 RGB triples, packed or
    # one per 4 bytes (see interleaved_rgb), in ``image`` and ``out``, with
    # method "opencv": counted, planned and mapped directly on their lines
    # (see _equalize_bytes). None, before any work, for other layouts.
    if out is not None:  # one that overlaps the image partially: work from a copy
        image = unshared(image, out)
    source = interleaved_rgb(image)
    if source is None:
        return None
    result = np.empty(image.shape, np.uint8) if out is None else out  # C order: packed triples
    target = interleaved_rgb(result)
    if target is None:
        return None
    cpu = kernels(image)
    (line, step), (target_line, target_step) = source, target
    luts = [opencv(counts, BYTE_LEVELS, image.dtype) for counts in cpu.count_rgb(line, step)]
    identity = np.arange(256, dtype=np.uint8)  # a constant channel is returned unchanged
    cpu.apply_rgb(line, np.stack([identity if lut is None else lut for lut in luts]), target_line, step, target_step)
    return result


def _equalize_bytes(image: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    # ``equalize`` of a contiguous uint8 image with method "opencv": the one
    # line of pixels in memory order is counted, planned and mapped directly,
    # without the general path's layers (each costly when its code is out of
    # the caches, as when other work ran since the last call).
    result = np.empty_like(image) if out is None else out
    if out is not None:  # one that overlaps the image partially: work from a copy
        image = unshared(image, out)
    order = contiguous_order(image)
    source = image.reshape(-1, order=order)
    target = result.reshape(-1, order=order)
    counts = BYTE_LEVELS.count(source, None)
    lut = opencv(counts, BYTE_LEVELS, image.dtype)
    if lut is None:
        result[...] = image
    else:
        BYTE_LEVELS.apply(lut, source, target)
    return result
