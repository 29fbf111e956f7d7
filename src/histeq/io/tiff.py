"""TIFF files with tifffile: any dtype, stacks of pages, BigTIFF; colour
profile and resolution kept, orientation applied on read."""

from __future__ import annotations

from typing import Any, BinaryIO

import numpy as np

from .common import Refused, check_pixels, native
from .metadata import ImageMetadata, tiff_metadata, tiff_orientation, upright


def read_tiff(file: BinaryIO, max_pixels: int | None) -> tuple[np.ndarray, ImageMetadata]:
    """A TIFF file's image, or its stack of equal pages, upright, and its metadata.

    tifffile groups a file's pages into series (pages of one shape and dtype,
    or the shapes tifffile wrote). One series is read as it is; several series
    of one shape and dtype are stacked on a new first axis; several series
    that differ in shape or dtype are refused, naming their pages: reading
    only the first would drop the others silently. Reduced-resolution copies
    (pyramid levels, thumbnails) are not pages: tifffile keeps them apart.

    Parameters
    ----------
    file : binary file
        Seekable, at the start of the file.
    max_pixels : int or None
        The most pixels (height x width x pages) the file may declare; None: no limit.

    Returns
    -------
    image : ndarray
        The series as tifffile reads it (any dtype; a stack of pages is
        ``(pages, H, W)``), colour samples on the last axis (planar files are
        moved there), in native byte order.
    metadata : ImageMetadata
        Format ``"TIFF"``, the ICC profile and the resolution (of the first page).

    Raises
    ------
    TooLarge
        When the file declares more than ``max_pixels`` pixels (nothing decoded).
    Refused
        When its pages differ in shape or dtype (nothing decoded).
    Exception
        Whatever tifffile raises for files it cannot decode (a codec it lacks, ...).
    """
    import tifffile

    with tifffile.TiffFile(file) as tif:
        series = list(tif.series)
        _check_pages(series)
        check_pixels((sum(_pixels(one) for one in series),), 1, max_pixels)
        arrays = [_samples_last(one.asarray(), one.axes) for one in series]
        tags = tif.pages[0].tags
        metadata, orientation = tiff_metadata(tags), tiff_orientation(tags)
    array = arrays[0] if len(arrays) == 1 else np.stack(arrays)
    rows_axis = -3 if "S" in series[0].axes else -2
    return upright(native(array), orientation, rows_axis), metadata


def _pixels(series: Any) -> int:
    """How many pixels a series declares (colour samples not counted)."""
    shape, axes = series.shape, series.axes
    samples = shape[axes.index("S")] if "S" in axes else 1
    return int(np.prod(shape, dtype=object)) // max(samples, 1)


def _samples_last(array: np.ndarray, axes: str) -> np.ndarray:
    """Planar colour: the samples moved to the last axis."""
    if "S" in axes and axes[-1] != "S":
        return np.moveaxis(array, axes.index("S"), -1)
    return array


def _check_pages(series: list[Any]) -> None:
    """Refuse a file whose series differ in shape, axes or dtype, naming their pages."""
    first = series[0]
    if all((one.shape, one.axes, one.dtype) == (first.shape, first.axes, first.dtype) for one in series[1:]):
        return
    described = "; ".join(f"{_page_names(one)}: {_kind(one)}" for one in series[:_NAMED_SERIES])
    if len(series) > _NAMED_SERIES:
        described += f"; and {len(series) - _NAMED_SERIES} more series"
    raise Refused(
        f"its pages differ in shape or dtype ({described}); histeq reads one image or a stack of "
        "equal pages per file: save the pages that differ as files of their own"
    )


#: How many series a "pages differ" message describes.
_NAMED_SERIES = 4


def _page_names(series: Any) -> str:
    """``"page 3"``, ``"pages 0-9"``, ``"pages 0, 2, 5, ..."``: the pages of a series."""
    indices = [page.index for page in series.pages if page is not None]
    numbers = [index if isinstance(index, int) else index[0] for index in indices]
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"pages {numbers[0]}-{numbers[-1]}"
    shown = ", ".join(map(str, numbers[:3]))
    return f"pages {shown}, ..." if len(numbers) > 3 else f"pages {shown}"


def _kind(series: Any) -> str:
    """``"20x30 uint16"``: the shape of a series' pages (samples included) and its dtype."""
    page = series.pages[0]
    shape = page.shape if page is not None else series.shape
    return f"{'x'.join(map(str, shape))} {np.dtype(series.dtype)}"


def write_tiff(file: BinaryIO, array: np.ndarray, metadata: ImageMetadata) -> None:
    """Write any integer or float array as TIFF, with the profile and resolution of ``metadata``.

    ``(H, W, 3)`` and ``(H, W, 4)`` are RGB (the 4th sample unassociated
    alpha), ``(H, W, 2)`` grey with alpha, anything else grey (pages); BigTIFF
    when over 4 GB.
    """
    import tifffile

    samples = array.shape[2] if array.ndim == 3 else 1
    tifffile.imwrite(
        file,
        np.ascontiguousarray(array),
        photometric="rgb" if samples in (3, 4) else "minisblack",
        planarconfig="contig" if samples in (2, 3, 4) else None,
        extrasamples=["unassalpha"] if samples in (2, 4) else None,
        iccprofile=metadata.icc_profile,
        resolution=metadata.dpi,
        resolutionunit="INCH" if metadata.dpi is not None else None,
    )
