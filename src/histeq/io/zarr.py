"""Zarr stores (v2 and v3), OME-Zarr images and large TIFFs, lazily: read as
Dask arrays (TIFFs through tifffile's Zarr store), written block by block into
a temporary store that is renamed into place when complete.

Needs the ``dask`` extra (dask, distributed, zarr): ``pip install
"histeq[dask]"``; every function that needs it says so with
:class:`ZarrUnavailable` when it is missing. Importing this module imports
none of them.

OME-Zarr (NGFF 0.4 on Zarr v2, 0.5 on Zarr v3): the full resolution (the
first dataset of the first multiscale) is processed; every lower level is
then rebuilt from the processed full resolution by taking every k-th pixel
(k: the ratio of the levels' shapes, per axis), the multiscale's
``"type"`` set to ``"nearest"``. The group's other metadata (axes, scales,
``omero`` channel settings, ...) is copied as it is; its chunking and
compressors are kept, level by level.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .safe_write import temporary_path

#: TIFF suffixes read through tifffile's Zarr store.
TIFF_SUFFIXES = (".tif", ".tiff", ".btf", ".ome.tif", ".ome.tiff")
#: OME axis types that make every index an image of its own (a batch axis).
_BATCH_TYPES = ("time",)
#: tifffile's axis letters: samples/channels; space; everything else is a batch axis.
_TIFF_CHANNELS, _TIFF_SPACE = "SC", "ZYX"
#: Chunks smaller than this (TIFF strips of one row, ...) are merged into larger ones for the work.
_SMALL_CHUNK_BYTES = 1 << 20


class ZarrUnavailable(ValueError):
    """The ``dask`` extra is not installed."""


def require_extra() -> None:
    """Raise :class:`ZarrUnavailable`, saying what to install, without dask, distributed or zarr."""
    try:
        import dask.array  # noqa: F401
        import zarr  # noqa: F401
    except ImportError as exc:
        raise ZarrUnavailable(
            f'Zarr files and large TIFFs need dask and zarr ({exc.name} is missing): pip install "histeq[dask]"'
        ) from exc


def is_tiff_path(path: Path) -> bool:
    """A TIFF file, by its name."""
    return path.name.lower().endswith(TIFF_SUFFIXES)


@dataclass
class LazyImage:
    """An image read lazily.

    Attributes
    ----------
    levels : list of dask arrays
        The full resolution first; an OME-Zarr image's lower levels after it.
    paths : list of str
        The levels' paths in the group ("" for a plain array).
    channel_axis : int or None
        The axis of channels (OME type ``"channel"``, TIFF samples).
    batch_axes : tuple of int
        Axes whose every index is an image of its own (OME ``"time"``, TIFF
        pages of a series, ...).
    attributes : dict
        The store's attributes, copied to the output.
    zarr_format : int
        2 or 3; the output's too.
    chunks, compressors : list
        Each level's chunk shape and compressors (None: the output's defaults).
    """

    levels: list[Any]
    paths: list[str]
    channel_axis: int | None
    batch_axes: tuple[int, ...]
    attributes: dict[str, Any]
    zarr_format: int
    chunks: list[tuple[int, ...]]
    compressors: list[Any]
    closing: list[Callable[[], None]] = field(default_factory=list)

    @property
    def ome(self) -> bool:
        """Whether it is an OME-Zarr multiscale image (a group of levels)."""
        return bool(self.paths[0])


def read_lazy(path: Path) -> LazyImage:
    """Open a Zarr array, an OME-Zarr image or a TIFF as Dask arrays (nothing is read yet)."""
    require_extra()
    import dask.array as da
    import zarr

    if is_tiff_path(path):
        return _read_tiff(path)
    try:
        node = zarr.open(str(path), mode="r")
    except (FileNotFoundError, zarr.errors.NodeTypeValidationError) as exc:
        raise ValueError(f"{path}: not a Zarr array or group ({exc})") from exc
    fmt = node.metadata.zarr_format
    if isinstance(node, zarr.Array):
        return LazyImage([da.from_zarr(node)], [""], None, (), dict(node.attrs), fmt, [node.chunks], [_codecs(node)])
    attributes = dict(node.attrs)
    multiscales = _multiscales(attributes)
    if not multiscales:
        raise ValueError(
            f"{path} is a Zarr group without OME-Zarr multiscales metadata; name the array inside it "
            f"({path}/NAME) to process that array"
        )
    first = multiscales[0]
    paths = [dataset["path"] for dataset in first["datasets"]]
    arrays: list[Any] = [node[p] for p in paths]
    axes = [axis.get("type") for axis in first.get("axes", [])]
    channels = [i for i, kind in enumerate(axes) if kind == "channel"]
    batch = tuple(i for i, kind in enumerate(axes) if kind in _BATCH_TYPES)
    return LazyImage(
        [da.from_zarr(array) for array in arrays],
        paths,
        channels[0] if len(channels) == 1 else None,
        batch + tuple(channels[1:]),
        attributes,
        fmt,
        [array.chunks for array in arrays],
        [_codecs(array) for array in arrays],
    )


def _multiscales(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    # NGFF 0.4 keeps them at the top, 0.5 under "ome".
    return attributes.get("multiscales") or attributes.get("ome", {}).get("multiscales") or []


def _codecs(array: Any) -> Any:
    return array.compressors or None


def _read_tiff(path: Path) -> LazyImage:
    import dask.array as da
    import tifffile
    import zarr

    with tifffile.TiffFile(path) as tiff:
        axes = tiff.series[0].axes
    store = tifffile.imread(path, aszarr=True)
    node = zarr.open(store, mode="r")
    array = node if isinstance(node, zarr.Array) else node["0"]  # a pyramid: its full resolution
    lazy = da.from_zarr(array)
    if lazy.nbytes and max(lazy.chunksize) and lazy.dtype.itemsize * math.prod(lazy.chunksize) < _SMALL_CHUNK_BYTES:
        lazy = lazy.rechunk("auto")
    channels = [i for i, letter in enumerate(axes) if letter in _TIFF_CHANNELS]
    batch = tuple(i for i, letter in enumerate(axes) if letter not in _TIFF_CHANNELS + _TIFF_SPACE)
    return LazyImage(
        [lazy],
        [""],
        channels[0] if len(channels) == 1 else None,
        batch + tuple(channels[1:]),
        {"histeq": {"source": path.name, "axes": axes}},
        3,
        [lazy.chunksize],
        [None],
        [store.close],
    )


Store = Callable[[list[Any], list[Any]], None]


def write_lazy(output: Path, image: LazyImage, result: Any, store: Store, *, overwrite: bool) -> None:
    """Write ``result`` (the processed full resolution of ``image``) to the
    Zarr store ``output``, with ``image``'s format, chunking, compressors and
    attributes (OME-Zarr: every level, rebuilt from ``result``).

    ``store(sources, targets)`` computes the Dask arrays ``sources`` into
    the Zarr arrays ``targets`` (the caller's scheduler and progress bar).
    Everything goes into a temporary store beside ``output``, renamed into
    place only when complete; on any error or interruption it is removed.
    """
    import dask.array as da
    import zarr

    if output.exists() and not overwrite:
        raise FileExistsError(f"{output} exists; use --force to replace it")
    temporary = temporary_path(output.parent, ".zarr")  # removed by a later run if this process is killed
    try:
        if not image.ome:
            target = zarr.create_array(
                str(temporary),
                shape=result.shape,
                chunks=image.chunks[0],
                dtype=result.dtype,
                compressors=image.compressors[0] if image.compressors[0] is not None else "auto",
                zarr_format=image.zarr_format,  # type: ignore[arg-type]
                attributes=image.attributes,
            )
            store([result.rechunk(image.chunks[0])], [target])
        else:
            group = zarr.open_group(str(temporary), mode="w", zarr_format=image.zarr_format)  # type: ignore[arg-type]
            group.attrs.update(_rebuilt_attributes(image.attributes))
            previous = result
            for index, (path, level) in enumerate(zip(image.paths, image.levels)):
                target = group.create_array(
                    path,
                    shape=level.shape,
                    chunks=image.chunks[index],
                    dtype=result.dtype,
                    compressors=image.compressors[index] if image.compressors[index] is not None else "auto",
                )
                source = result if index == 0 else _every_kth(previous, level.shape)
                store([source.rechunk(image.chunks[index])], [target])
                previous = da.from_zarr(target)
        _replace(temporary, output)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    finally:
        for close in image.closing:
            with contextlib.suppress(Exception):
                close()


def _every_kth(level: Any, shape: tuple[int, ...]) -> Any:
    # The next level by nearest sampling: every k-th pixel, k the ratio of the shapes.
    steps = []
    for big, small in zip(level.shape, shape):
        step = max(1, round(big / small))
        if -(-big // step) < small or small < big // step:
            raise ValueError(f"the levels' shapes {level.shape} and {shape} are not a whole factor apart")
        steps.append(slice(0, small * step, step))
    return level[tuple(steps)]


def _rebuilt_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    # The multiscales say how the lower levels were made: nearest sampling.
    copied = copy.deepcopy(attributes)
    place = copied["ome"] if "multiscales" in copied.get("ome", {}) else copied
    place["multiscales"][0]["type"] = "nearest"
    place["multiscales"][0]["metadata"] = {
        "description": "histeq: the full resolution processed, every lower level rebuilt from it "
        "by taking every k-th pixel"
    }
    return copied


def _replace(temporary: Path, output: Path) -> None:
    # The complete store into place; an old one at ``output`` removed only after.
    if not output.exists():
        os.replace(temporary, output)
        return
    old = temporary_path(output.parent, ".zarr")
    os.replace(output, old)
    os.replace(temporary, output)
    if old.is_dir():
        shutil.rmtree(old)
    else:
        old.unlink()
