"""Reading and writing image files: PNG, JPEG, TIFF, NumPy ``.npy`` and the other formats Pillow reads.

Pillow and tifffile are imported inside the functions, so ``import histeq``
stays light.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

#: Output suffixes (lower case) and the format each writes.
WRITE_FORMATS = {
    ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF", ".jpg": "JPEG", ".jpeg": "JPEG", ".npy": "NPY",
}

#: The most pixels (colour samples not counted) ``read_image`` accepts by
#: default: files that declare more are refused before they are decoded.
MAX_PIXELS = 2**30

#: How the names of temporary files being written begin (they are renamed when complete).
TEMPORARY_PREFIX = ".histeq-"

#: Quality of written JPEG files (Pillow's scale, 1..95).
JPEG_QUALITY = 95

#: The first bytes of classic and BigTIFF files, in both byte orders.
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

#: The first bytes of NumPy ``.npy`` files.
_NPY_MAGIC = b"\x93NUMPY"

#: Held while Pillow's own pixel limit is switched off for one ``Image.open``.
_PILLOW_LIMIT_LOCK = threading.Lock()

#: Formats whose Pillow mode "I" holds 16-bit grey samples (older Pillow opens
#: 16-bit PNG, and current Pillow 16-bit PGM, as "I").
_SIXTEEN_BIT_I_FORMATS = ("PNG", "PPM")

#: Pillow modes returned as they are (after the 16-bit and "I" handling).
_KEPT_MODES = ("L", "LA", "RGB", "RGBA", "I", "F")


class ImageReadError(OSError):
    """An image file is missing, unreadable, corrupt, too large or in an unsupported format."""


def read_image(path: str | os.PathLike[str], *, max_pixels: int | None = MAX_PIXELS) -> np.ndarray:
    """Read an image file into a numpy array.

    TIFF files (recognised by their first bytes, whatever the suffix) are read
    with tifffile, falling back to Pillow for compressions tifffile cannot
    decode without extra packages (such as LZW). NumPy ``.npy`` files (also
    recognised by their first bytes) are loaded without pickles. Every other
    format is read with Pillow; its EXIF orientation is applied so the pixels
    are upright.

    A file that declares more than ``max_pixels`` pixels is refused from its
    header, before its pixels are decoded (a "decompression bomb"). This limit
    replaces Pillow's own ``Image.MAX_IMAGE_PIXELS`` while the file is opened.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.
    max_pixels : int or None, default MAX_PIXELS (2**30)
        The most pixels (height x width x pages; colour samples not counted)
        a file may declare; None: no limit.

    Returns
    -------
    ndarray
        - grey 8-bit (and 1-bit): ``(H, W)`` uint8;
        - grey 16-bit (PNG, PGM, TIFF): ``(H, W)`` uint16;
        - grey with alpha: ``(H, W, 2)``; RGB: ``(H, W, 3)``; RGBA:
          ``(H, W, 4)``, uint8 (uint16 from TIFF). Palette images become RGB,
          or RGBA when they have transparency; CMYK, YCbCr, ... become RGB;
        - 32-bit integer and float files: int32 / float32 ``(H, W)``;
        - TIFF: the first series as tifffile reads it (any dtype; a stack of
          pages is ``(pages, H, W)``), with colour samples on the last axis;
        - ``.npy``: the array as saved (integer or float dtypes only).

        Multi-frame files other than TIFF give their first frame.

    Raises
    ------
    ImageReadError
        When the file is missing, unreadable, corrupt, declares more than
        ``max_pixels`` pixels or is in a format no reader here reads. The
        message names the path and the reason.
    """
    path = Path(path)
    try:
        with open(path, "rb") as file:
            magic = file.read(len(_NPY_MAGIC))
    except OSError as exc:
        raise ImageReadError(f"cannot read image {str(path)!r}: {exc.strerror or exc}") from exc
    if magic.startswith(_NPY_MAGIC):
        try:
            return _read_npy(path, max_pixels)
        except Exception as exc:  # a bad header, a truncated file, pickled objects, ...
            raise ImageReadError(f"cannot read NumPy image {str(path)!r}: {exc}") from exc
    if magic[:4] in _TIFF_MAGIC:
        try:
            return _read_tifffile(path, max_pixels)
        except _TooLarge as exc:
            raise ImageReadError(f"cannot read TIFF image {str(path)!r}: {exc}") from exc
        except Exception as exc:  # any other failure (a codec tifffile lacks, ...): try Pillow
            try:
                return _read_pillow(path, max_pixels)
            except Exception:  # report tifffile's reason, the more specific one
                raise ImageReadError(f"cannot read TIFF image {str(path)!r}: {exc}") from exc
    try:
        return _read_pillow(path, max_pixels)
    except Exception as exc:  # Pillow raises many kinds of exception for bad files
        raise ImageReadError(f"cannot read image {str(path)!r}: {_reason(exc)}") from exc


def write_image(path: str | os.PathLike[str], array: np.ndarray, *, overwrite: bool = False) -> None:
    """Write an image file, safely: the file appears complete or not at all.

    The format comes from the suffix: ``.png``, ``.tif``/``.tiff``,
    ``.jpg``/``.jpeg``, ``.npy`` (case-insensitive). What each accepts:

    ============  =============================================================
    PNG           uint8 ``(H, W)``, ``(H, W, 2)``, ``(H, W, 3)``, ``(H, W, 4)``;
                  uint16 ``(H, W)`` (a 16-bit grey PNG)
    JPEG          uint8 ``(H, W)`` and ``(H, W, 3)``, quality 95
    TIFF          any integer or float array tifffile writes: ``(H, W, 3)`` and
                  ``(H, W, 4)`` as RGB (the 4th sample as alpha), ``(H, W, 2)``
                  as grey with alpha, anything else as grey (pages)
    NPY           any integer or float array (``np.save``)
    ============  =============================================================

    The data go to a temporary file ``.histeq-*`` in the destination folder,
    which is then moved into place; on any error it is removed.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its folder must exist.
    array : ndarray
        The image, as listed above.
    overwrite : bool, default False
        Replace ``path`` if it exists. Without it an existing file is never
        replaced, even one created while this function runs.

    Raises
    ------
    ValueError
        For an unsupported suffix, or an array the format cannot hold (the
        message says which format can).
    FileExistsError
        When ``path`` exists and ``overwrite`` is False.
    FileNotFoundError
        When the folder of ``path`` does not exist.
    OSError
        When the file cannot be written.
    """
    path = Path(path)
    array = np.asarray(array)
    file_format = _write_format(path)
    _check_writable(array, file_format, path)
    if not overwrite and os.path.lexists(path):
        raise _exists_error(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    array = np.ascontiguousarray(array.astype(array.dtype.newbyteorder("="), copy=False))
    with tempfile.NamedTemporaryFile(dir=folder, prefix=TEMPORARY_PREFIX, suffix=path.suffix, delete=False) as tmp:
        temporary = Path(tmp.name)
    try:
        _encode(temporary, array, file_format)
        os.chmod(temporary, 0o666 & ~_umask())  # the mode a plain open() would give
        if overwrite:
            os.replace(temporary, path)
        else:
            _move_no_clobber(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


class _TooLarge(ValueError):
    """A file declares more pixels than allowed."""


def _check_pixels(shape: tuple[int, ...], samples: int, max_pixels: int | None) -> None:
    """Raise _TooLarge if ``shape`` (with ``samples`` colour samples per pixel) exceeds ``max_pixels``."""
    pixels = int(np.prod(shape, dtype=object)) // max(samples, 1)
    if max_pixels is not None and pixels > max_pixels:
        raise _TooLarge(
            f"declares {pixels} pixels, more than the limit of {max_pixels} (max_pixels, --max-pixels)"
        )


def _read_npy(path: Path, max_pixels: int | None) -> np.ndarray:
    with open(path, "rb") as file:
        shape, dtype = _npy_header(file)
        if dtype.kind not in "iuf":
            raise ValueError(f"images must have an integer or float dtype; got {dtype}")
        samples = shape[-1] if len(shape) == 3 and shape[-1] in (2, 3, 4) else 1
        _check_pixels(shape, samples, max_pixels)
        file.seek(0)
        return _native(np.load(file, allow_pickle=False))


def _npy_header(file: BinaryIO) -> tuple[tuple[int, ...], np.dtype]:
    version = np.lib.format.read_magic(file)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(file)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(file)
    return shape, dtype


def _read_tifffile(path: Path, max_pixels: int | None) -> np.ndarray:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        axes = series.axes
        _check_pixels(series.shape, series.shape[axes.index("S")] if "S" in axes else 1, max_pixels)
        array = series.asarray()
    if "S" in axes and axes[-1] != "S":  # planar colour: samples last
        array = np.moveaxis(array, axes.index("S"), -1)
    return _native(array)


def _read_pillow(path: Path, max_pixels: int | None) -> np.ndarray:
    from PIL import ImageOps

    with _open_pillow(path) as image:
        _check_pixels(image.size, 1, max_pixels)
        image.load()
        file_format, mode = image.format, image.mode
        if file_format != "TIFF":  # TIFF pixels are returned as stored, as tifffile does
            image = ImageOps.exif_transpose(image)
        if not (mode in _KEPT_MODES or mode.startswith("I;16")):
            image = image.convert(_conversion_mode(image))
        array = _native(np.array(image))
    if mode == "I" and file_format in _SIXTEEN_BIT_I_FORMATS:
        return array.astype(np.uint16)
    return array


@contextmanager
def _open_pillow(path: Path) -> Iterator[Image.Image]:
    """``Image.open(path)`` with Pillow's own pixel limit off: ``max_pixels`` replaces it."""
    from PIL import Image

    with _PILLOW_LIMIT_LOCK:
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            image = Image.open(path)
        finally:
            Image.MAX_IMAGE_PIXELS = limit
    with image:
        yield image


def _conversion_mode(image: Image.Image) -> str:
    """The mode an image in an unusual mode is converted to."""
    if image.mode == "1":
        return "L"
    if image.mode == "La":
        return "LA"
    has_alpha = image.mode in ("PA", "RGBa") or "transparency" in image.info
    return "RGBA" if has_alpha else "RGB"


def _native(array: np.ndarray) -> np.ndarray:
    return array if array.dtype.isnative else array.astype(array.dtype.newbyteorder("="))


def _reason(exc: Exception) -> str:
    from PIL import UnidentifiedImageError

    if isinstance(exc, UnidentifiedImageError):
        return "not an image file, or a format Pillow cannot read"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _write_format(path: Path) -> str:
    try:
        return WRITE_FORMATS[path.suffix.lower()]
    except KeyError:
        supported = ", ".join(WRITE_FORMATS)
        raise ValueError(
            f"cannot write {str(path)!r}: unsupported suffix {path.suffix or '(none)'!r}; "
            f"use one of {supported}"
        ) from None


def _check_writable(array: np.ndarray, file_format: str, path: Path) -> None:
    """Raise ValueError if ``file_format`` cannot hold ``array``."""
    where = f"cannot write {str(path)!r}"
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{where}: images must have an integer or float dtype; got {array.dtype}")
    if array.ndim < 2 or array.size == 0:
        raise ValueError(f"{where}: not an image: shape {array.shape}")
    if file_format in ("TIFF", "NPY"):
        return
    layout = "grey" if array.ndim == 2 else None
    if array.ndim == 3:
        layout = {2: "grey+alpha", 3: "RGB", 4: "RGBA"}.get(array.shape[2])
    if layout is None:
        raise ValueError(
            f"{where}: {file_format} holds (H, W) grey or (H, W, 2|3|4) colour images; "
            f"got shape {array.shape} (use .tif)"
        )
    if file_format == "JPEG":
        if array.dtype != np.uint8:
            raise ValueError(f"{where}: JPEG holds 8-bit images only; got {array.dtype} (use .png or .tif)")
        if layout not in ("grey", "RGB"):
            raise ValueError(f"{where}: JPEG has no alpha channel; got a {layout} image (use .png or .tif)")
        return
    if array.dtype == np.uint16 and layout != "grey":
        raise ValueError(f"{where}: 16-bit PNG is written for grey images only; got 16-bit {layout} (use .tif)")
    if array.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"{where}: PNG holds uint8 or uint16 images; got {array.dtype} (use .tif)")


def _encode(target: Path, array: np.ndarray, file_format: str) -> None:
    if file_format == "TIFF":
        _encode_tiff(target, array)
        return
    if file_format == "NPY":
        with open(target, "wb") as file:  # a path without ".npy" would get one appended
            np.save(file, array, allow_pickle=False)
        return
    from PIL import Image

    options = {"quality": JPEG_QUALITY} if file_format == "JPEG" else {}
    Image.fromarray(array).save(target, format=file_format, **options)


def _encode_tiff(target: Path, array: np.ndarray) -> None:
    import tifffile

    samples = array.shape[2] if array.ndim == 3 else 1
    if samples in (3, 4):
        options = {"photometric": "rgb", "planarconfig": "contig"}
    elif samples == 2:
        options = {"photometric": "minisblack", "planarconfig": "contig"}
    else:
        options = {"photometric": "minisblack"}
    if samples in (2, 4):
        options["extrasamples"] = ["unassalpha"]
    tifffile.imwrite(target, array, **options)


def _move_no_clobber(source: Path, target: Path) -> None:
    """Move ``source`` to ``target`` unless ``target`` exists.

    A hard link fails atomically if ``target`` exists. Where the file system
    has no hard links, the existence check and the move are two steps.
    """
    try:
        os.link(source, target)
    except FileExistsError:
        raise _exists_error(target) from None
    except OSError:  # no hard links here (FAT, some network shares, ...)
        if os.path.lexists(target):
            raise _exists_error(target) from None
        os.replace(source, target)
    else:
        source.unlink()


def _exists_error(path: Path) -> FileExistsError:
    return FileExistsError(f"{str(path)!r} already exists; use --force (overwrite=True) to replace it")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
