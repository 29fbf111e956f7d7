"""TIFF files with tifffile: any dtype, stacks of pages, BigTIFF; colour
profile and resolution kept, orientation applied on read."""

from __future__ import annotations

from typing import BinaryIO

import numpy as np

from .common import check_pixels, native
from .metadata import ImageMetadata, tiff_metadata, tiff_orientation, upright

#: The first bytes of classic and BigTIFF files, in both byte orders.
TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def read_tiff(file: BinaryIO, max_pixels: int | None) -> tuple[np.ndarray, ImageMetadata]:
    """The first series of a TIFF file, upright, and its metadata.

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
        Format ``"TIFF"``, the ICC profile and the resolution.

    Raises
    ------
    TooLarge
        When the file declares more than ``max_pixels`` pixels (nothing decoded).
    Exception
        Whatever tifffile raises for files it cannot decode (a codec it lacks, ...).
    """
    import tifffile

    with tifffile.TiffFile(file) as tif:
        series = tif.series[0]
        axes = series.axes
        check_pixels(series.shape, series.shape[axes.index("S")] if "S" in axes else 1, max_pixels)
        array = series.asarray()
        tags = tif.pages[0].tags
        metadata, orientation = tiff_metadata(tags), tiff_orientation(tags)
    if "S" in axes and axes[-1] != "S":  # planar colour: samples last
        array = np.moveaxis(array, axes.index("S"), -1)
    rows_axis = -3 if "S" in axes else -2
    return upright(native(array), orientation, rows_axis), metadata


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
