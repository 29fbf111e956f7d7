"""Reading and writing image files: PNG, JPEG, TIFF, NumPy ``.npy`` and the other formats Pillow reads.

Pixels come back upright and in their own bit depth; the colour profile,
resolution and EXIF come back as :class:`ImageMetadata` (``histeq.io.ImageMetadata``)
and go back into the files written. Pillow, tifffile and pypng are imported
inside the functions, so ``import histeq`` stays light.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from ._metadata import (
    ORIENTATION_TAG,
    ImageMetadata,
    pillow_metadata,
    tiff_metadata,
    tiff_orientation,
    upright,
)
from ._pillow_pixels import rgb_view, rgbx_image
from ._png16 import HEADER_BYTES, is_png16_colour, png_size, read_png16, write_png16

if TYPE_CHECKING:
    from PIL import Image

#: A binary stream or a file's path: what ``read_image`` reads.
Source = str | os.PathLike[str] | BinaryIO

#: Output suffixes (lower case) and the format each writes.
WRITE_FORMATS = {
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".npy": "NPY",
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


def read_image(source: Source, *, max_pixels: int | None = MAX_PIXELS) -> np.ndarray:
    """Read an image file into a writable numpy array.

    The pixels of ``read_image_with_metadata(source, max_pixels=max_pixels)``,
    copied if that array is read-only; see :func:`read_image_with_metadata`
    for what is read and how.
    """
    image = read_image_with_metadata(source, max_pixels=max_pixels)[0]
    return image if image.flags.writeable else image.copy()


def read_image_with_metadata(
    source: Source, *, max_pixels: int | None = MAX_PIXELS
) -> tuple[np.ndarray, ImageMetadata]:
    """Read an image file: its pixels, upright, and the metadata histeq keeps.

    The format comes from the first bytes, whatever the name. TIFF files are
    read with tifffile, falling back to Pillow for compressions tifffile
    cannot decode without extra packages (such as LZW). PNG files with 16-bit
    colour or alpha are read with pypng (Pillow would reduce them to 8 bits).
    NumPy ``.npy`` files are loaded without pickles. Every other format is
    read with Pillow.

    The orientation a file declares (EXIF in JPEG/PNG, the Orientation tag in
    TIFF) is applied, so the pixels are upright; the metadata returned has no
    orientation, and files written with it need none.

    A file that declares more than ``max_pixels`` pixels is refused from its
    header, before its pixels are decoded (a "decompression bomb"). This limit
    replaces Pillow's own ``Image.MAX_IMAGE_PIXELS`` while the file is opened.

    Parameters
    ----------
    source : str, os.PathLike or binary file
        The file to read, or a binary stream (read to its end; ``-`` on the
        command line reads standard input this way).
    max_pixels : int or None, default MAX_PIXELS (2**30)
        The most pixels (height x width x pages; colour samples not counted)
        a file may declare; None: no limit.

    Returns
    -------
    image : ndarray
        - grey 8-bit (and 1-bit): ``(H, W)`` uint8;
        - grey 16-bit (PNG, PGM, TIFF): ``(H, W)`` uint16;
        - grey with alpha: ``(H, W, 2)``; RGB: ``(H, W, 3)``; RGBA:
          ``(H, W, 4)``, uint8, or uint16 from 16-bit PNG and TIFF. Palette
          images become RGB, or RGBA when they have transparency; CMYK,
          YCbCr, ... become RGB;
        - 32-bit integer and float files: int32 / float32 ``(H, W)``;
        - TIFF: the first series as tifffile reads it (any dtype; a stack of
          pages is ``(pages, H, W)``), with colour samples on the last axis;
        - ``.npy``: the array as saved (integer or float dtypes only).

        Multi-frame files other than TIFF give their first frame. Images
        Pillow decodes come back read-only: the array wraps Pillow's decoded
        bytes instead of copying them (8-bit RGB: a ``(H, W, 3)`` view of
        Pillow's 4-byte pixels, strides ``(4 W, 4, 1)``, where Pillow
        exports them); ``np.array(image)`` (or :func:`read_image`) gives a
        writable copy.
    metadata : ImageMetadata
        The format, and the ICC profile, resolution and EXIF (PNG, JPEG) the
        file carries.

    Raises
    ------
    ImageReadError
        When the file is missing, unreadable, corrupt, declares more than
        ``max_pixels`` pixels or is in a format no reader here reads. The
        message names the file and the reason.
    """
    name = _source_name(source)
    try:
        with _open_source(source) as file:
            header = file.read(HEADER_BYTES)
            file.seek(0)
            return _read(file, header, name, max_pixels)
    except ImageReadError:
        raise
    except OSError as exc:
        raise ImageReadError(f"cannot read image {name}: {exc.strerror or exc}") from exc


def write_image(
    path: str | os.PathLike[str],
    array: np.ndarray,
    *,
    metadata: ImageMetadata | None = None,
    overwrite: bool = False,
) -> None:
    """Write an image file, safely: the file appears complete or not at all.

    The format comes from the suffix: ``.png``, ``.tif``/``.tiff``,
    ``.jpg``/``.jpeg``, ``.npy`` (case-insensitive); see
    :func:`encode_image` for what each holds. The data go to a temporary file
    ``.histeq-*`` in the destination folder, which is then moved into place;
    on any error it is removed.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its folder must exist.
    array : ndarray
        The image, as :func:`encode_image` lists.
    metadata : ImageMetadata, optional
        The ICC profile, resolution and EXIF to write, where the format
        holds them (see :func:`encode_image`).
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
    file_format = format_of(path)
    _check_writable(array, file_format, repr(str(path)))

    def encode(file: BinaryIO) -> None:
        _encode(file, _native(array), file_format, metadata or ImageMetadata())

    write_safely(path, encode, overwrite=overwrite)


def encode_image(array: np.ndarray, file_format: str, metadata: ImageMetadata | None = None) -> bytes:
    """An image file's bytes, in memory (for standard output, or to send on).

    ============  =============================================================
    PNG           uint8 or uint16 ``(H, W)``, ``(H, W, 2)``, ``(H, W, 3)``,
                  ``(H, W, 4)`` (16-bit colour with pypng); profile,
                  resolution and EXIF kept
    JPEG          uint8 ``(H, W)`` and ``(H, W, 3)``, quality 95; profile,
                  resolution and EXIF kept
    TIFF          any integer or float array tifffile writes: ``(H, W, 3)`` and
                  ``(H, W, 4)`` as RGB (the 4th sample as alpha), ``(H, W, 2)``
                  as grey with alpha, anything else as grey (pages), as
                  BigTIFF when over 4 GB; profile and resolution kept
    NPY           any integer or float array (``np.save``); no metadata
    ============  =============================================================

    Parameters
    ----------
    array : ndarray
        The image, as listed above.
    file_format : {"PNG", "JPEG", "TIFF", "NPY"}
        The format (:func:`format_of` gives it for a file name).
    metadata : ImageMetadata, optional
        The profile, resolution and EXIF to write.

    Returns
    -------
    bytes
        The whole file. Needs the file's size in memory beyond the array.

    Raises
    ------
    ValueError
        For an unknown format, or an array the format cannot hold.
    """
    if file_format not in WRITE_FORMATS.values():
        raise ValueError(f"cannot write format {file_format!r}; use one of {sorted(set(WRITE_FORMATS.values()))}")
    array = np.asarray(array)
    _check_writable(array, file_format, f"a {file_format} image")
    buffer = io.BytesIO()
    _encode(buffer, _native(array), file_format, metadata or ImageMetadata())
    return buffer.getvalue()


def format_of(path: str | os.PathLike[str]) -> str:
    """The format a file name's suffix asks for: ``"PNG"``, ``"TIFF"``, ``"JPEG"`` or ``"NPY"``.

    Raises
    ------
    ValueError
        For any other suffix, naming the supported ones.
    """
    path = Path(path)
    try:
        return WRITE_FORMATS[path.suffix.lower()]
    except KeyError:
        supported = ", ".join(WRITE_FORMATS)
        raise ValueError(
            f"cannot write {str(path)!r}: unsupported suffix {path.suffix or '(none)'!r}; use one of {supported}"
        ) from None


def write_safely(path: Path, write: Callable[[BinaryIO], None], *, overwrite: bool = False) -> None:
    """Create ``path`` with ``write(file)``, so that it appears complete or not at all.

    ``write`` fills a temporary file ``.histeq-*`` in the same folder, which
    is then renamed to ``path``; on any error (or interruption) it is removed.

    Parameters
    ----------
    path : Path
        The file to create; its folder must exist.
    write : callable
        Writes the contents to the binary file it is given.
    overwrite : bool, default False
        Replace ``path`` if it exists; without it an existing file is never
        replaced, even one created meanwhile.

    Raises
    ------
    FileExistsError, FileNotFoundError, OSError
        As :func:`write_image`.
    """
    if not overwrite and os.path.lexists(path):
        raise _exists_error(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    with tempfile.NamedTemporaryFile(dir=folder, prefix=TEMPORARY_PREFIX, suffix=path.suffix, delete=False) as tmp:
        temporary = Path(tmp.name)
    try:
        with open(temporary, "wb") as file:
            write(file)
        os.chmod(temporary, 0o666 & ~_umask())  # the mode a plain open() would give
        if overwrite:
            os.replace(temporary, path)
        else:
            _move_no_clobber(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


class _TooLarge(ValueError):
    """A file declares more pixels than allowed."""


def _source_name(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return repr(str(source))
    return "from " + str(getattr(source, "name", "a stream"))


@contextmanager
def _open_source(source: Source) -> Iterator[BinaryIO]:
    """A seekable binary file of ``source``: the file opened, or the stream's
    bytes in memory when it cannot seek (a pipe)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as file:
            yield file
    elif source.seekable():
        yield source
    else:
        yield io.BytesIO(source.read())


def _read(file: BinaryIO, header: bytes, name: str, max_pixels: int | None) -> tuple[np.ndarray, ImageMetadata]:
    """Read the image in ``file`` (which starts with ``header``), as the format ``header`` shows."""
    if header.startswith(_NPY_MAGIC):
        try:
            return _read_npy(file, max_pixels), ImageMetadata(format="NPY")
        except Exception as exc:  # a bad header, a truncated file, pickled objects, ...
            raise ImageReadError(f"cannot read NumPy image {name}: {exc}") from exc
    if header[:4] in _TIFF_MAGIC:
        try:
            return _read_tifffile(file, max_pixels)
        except _TooLarge as exc:
            raise ImageReadError(f"cannot read TIFF image {name}: {exc}") from exc
        except Exception as exc:  # any other failure (a codec tifffile lacks, ...): try Pillow
            try:
                file.seek(0)
                return _read_pillow(file, max_pixels)
            except Exception:  # report tifffile's reason, the more specific one
                raise ImageReadError(f"cannot read TIFF image {name}: {exc}") from exc
    try:
        if is_png16_colour(header):
            _check_pixels(png_size(header), 1, max_pixels)
            return _read_png16(file)
        return _read_pillow(file, max_pixels)
    except Exception as exc:  # Pillow and pypng raise many kinds of exception for bad files
        raise ImageReadError(f"cannot read image {name}: {_reason(exc)}") from exc


def _check_pixels(shape: tuple[int, ...], samples: int, max_pixels: int | None) -> None:
    """Raise _TooLarge if ``shape`` (with ``samples`` colour samples per pixel) exceeds ``max_pixels``."""
    pixels = int(np.prod(shape, dtype=object)) // max(samples, 1)
    if max_pixels is not None and pixels > max_pixels:
        raise _TooLarge(f"declares {pixels} pixels, more than the limit of {max_pixels} (max_pixels, --max-pixels)")


def _read_npy(file: BinaryIO, max_pixels: int | None) -> np.ndarray:
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


def _read_tifffile(file: BinaryIO, max_pixels: int | None) -> tuple[np.ndarray, ImageMetadata]:
    import tifffile

    with tifffile.TiffFile(file) as tif:
        series = tif.series[0]
        axes = series.axes
        _check_pixels(series.shape, series.shape[axes.index("S")] if "S" in axes else 1, max_pixels)
        array = series.asarray()
        tags = tif.pages[0].tags
        metadata, orientation = tiff_metadata(tags), tiff_orientation(tags)
    if "S" in axes and axes[-1] != "S":  # planar colour: samples last
        array = np.moveaxis(array, axes.index("S"), -1)
    rows_axis = -3 if "S" in axes else -2
    return upright(_native(array), orientation, rows_axis), metadata


def _read_png16(file: BinaryIO) -> tuple[np.ndarray, ImageMetadata]:
    with _open_pillow(file) as image:  # the chunks before the pixels: profile, resolution, EXIF
        metadata = pillow_metadata(image)
        orientation = image.getexif().get(ORIENTATION_TAG, 1)
    file.seek(0)
    return upright(read_png16(file), orientation if 1 <= orientation <= 8 else 1, -3), metadata


def _read_pillow(file: BinaryIO, max_pixels: int | None) -> tuple[np.ndarray, ImageMetadata]:
    from PIL import ImageOps

    with _open_pillow(file) as image:
        _check_pixels(image.size, 1, max_pixels)
        image.load()
        metadata = pillow_metadata(image)
        file_format, mode = image.format, image.mode
        ImageOps.exif_transpose(image, in_place=True)  # no copy when already upright
        if not (mode in _KEPT_MODES or mode.startswith("I;16")):
            image = image.convert(_conversion_mode(image))
        view = rgb_view(image)  # Pillow's own memory, for RGB
        array = _native(np.asarray(image)) if view is None else view  # read-only: Pillow's pixel bytes
    if mode == "I" and file_format in _SIXTEEN_BIT_I_FORMATS:
        return array.astype(np.uint16), metadata
    return array, metadata


@contextmanager
def _open_pillow(file: BinaryIO) -> Iterator[Image.Image]:
    """``Image.open(file)`` with Pillow's own pixel limit off: ``max_pixels`` replaces it."""
    from PIL import Image

    with _PILLOW_LIMIT_LOCK:
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            image = Image.open(file)
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


def _check_writable(array: np.ndarray, file_format: str, where: str) -> None:
    """Raise ValueError if ``file_format`` cannot hold ``array``; ``where`` names the file."""
    where = f"cannot write {where}"
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
    if array.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"{where}: PNG holds uint8 or uint16 images; got {array.dtype} (use .tif)")


def _encode(file: BinaryIO, array: np.ndarray, file_format: str, metadata: ImageMetadata) -> None:
    if file_format == "TIFF":
        _encode_tiff(file, array, metadata)
    elif file_format == "NPY":
        np.save(file, array, allow_pickle=False)
    elif file_format == "PNG" and array.dtype == np.uint16 and array.ndim == 3:
        write_png16(file, array, metadata)
    else:
        _encode_pillow(file, array, file_format, metadata)


def _encode_pillow(file: BinaryIO, array: np.ndarray, file_format: str, metadata: ImageMetadata) -> None:
    from PIL import Image

    options: dict[str, object] = {"quality": JPEG_QUALITY} if file_format == "JPEG" else {}
    if metadata.icc_profile is not None:
        options["icc_profile"] = metadata.icc_profile
    if metadata.dpi is not None:
        options["dpi"] = metadata.dpi
    if metadata.exif is not None:
        options["exif"] = metadata.exif
    image = rgbx_image(array) if file_format == "JPEG" else None  # saved as RGB, without a copy
    if image is None:
        image = Image.fromarray(np.ascontiguousarray(array))
    image.save(file, format=file_format, **options)


def _encode_tiff(file: BinaryIO, array: np.ndarray, metadata: ImageMetadata) -> None:
    import tifffile

    samples = array.shape[2] if array.ndim == 3 else 1
    if samples in (3, 4):
        options: dict[str, object] = {"photometric": "rgb", "planarconfig": "contig"}
    elif samples == 2:
        options = {"photometric": "minisblack", "planarconfig": "contig"}
    else:
        options = {"photometric": "minisblack"}
    if samples in (2, 4):
        options["extrasamples"] = ["unassalpha"]
    if metadata.icc_profile is not None:
        options["iccprofile"] = metadata.icc_profile
    if metadata.dpi is not None:
        options["resolution"] = metadata.dpi
        options["resolutionunit"] = "INCH"
    tifffile.imwrite(file, np.ascontiguousarray(array), **options)


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
