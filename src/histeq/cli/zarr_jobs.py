"""``histeq equalize`` and ``histeq clahe`` on Zarr stores (v2, v3, OME-Zarr)
and large TIFFs: lazily, block by block, through histeq's Dask operations
(:mod:`histeq._dask`), never holding the image in memory.

An input that is a Zarr store, or an output named ``*.zarr``, makes a run a
Zarr run (:func:`.jobs.wants_zarr`). Each input is read as Dask arrays
(:mod:`histeq.io.zarr`: OME axes name the channel axis, each channel
processed on its own unless ``--color`` says otherwise, and time points, each
an image of its own), processed
with the command's options, and written to a Zarr store of the input's
format, chunking and compressors (a TIFF: Zarr v3), through a temporary store
renamed into place at the end. ``--scheduler`` picks Dask's scheduler; a
progress bar counts the blocks written when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .deep_clahe import DEEP_BINS

#: Options of file commands that Zarr runs do not have.
_REFUSED = (("plot", "--plot"), ("format", "--format"), ("quality", "--quality"), ("json", "--json"))


def run(args: argparse.Namespace, usage: argparse.ArgumentParser) -> int:
    """Run a Zarr command line; returns the exit status (usage errors exit 2 through ``usage``)."""
    from histeq.io import remove_stale_temporaries
    from histeq.io.zarr import require_extra

    from .report import error_text
    from .runner import report_interrupt, terminate_as_interrupt

    try:
        jobs = _jobs(args)
    except ValueError as exc:
        usage.error(str(exc))
    remove_stale_temporaries(sorted({output.parent for _, output in jobs}), before=time.time())  # killed runs' stores
    try:
        require_extra()
        with terminate_as_interrupt(), _Store(args.scheduler, sys.stderr.isatty()) as store:
            for source, output in jobs:
                _process(args, source, output, store)
    except (OSError, ValueError, TypeError) as exc:
        print(f"histeq: error: {error_text(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # the temporary store is removed: no half-written output
        return report_interrupt(exc)
    return 0


def _jobs(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    # (input, output) pairs; ValueError for what a Zarr run cannot do.
    from histeq.io.formats import is_zarr_path
    from histeq.io.zarr import is_tiff_path

    for name, option in _REFUSED:
        if getattr(args, name, None):
            raise ValueError(f"{option} is not available for Zarr stores")
    for path in args.input:
        if not (is_zarr_path(path) or is_tiff_path(path)):
            raise ValueError(f"{path}: a Zarr run reads Zarr stores and TIFFs; process other images apart")
        if not path.exists():
            raise ValueError(f"{path} does not exist")
    if args.suffix is not None:
        return [(path, path.with_name(_stem(path) + args.suffix + ".zarr")) for path in args.input]
    output = Path(args.output)
    if str(output) == "-":
        raise ValueError("-o -: Zarr stores are folders; give -o NAME.zarr")
    if len(args.input) == 1 and is_zarr_path(output):
        return [(args.input[0], output)]
    if is_zarr_path(output):
        raise ValueError(f"-o {output} names one store; several inputs need an output folder")
    return [(path, output / (_stem(path) + ".zarr")) for path in args.input]


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".ome.tiff", ".ome.tif", ".ome.zarr", ".zarr", ".tiff", ".tif", ".btf"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _process(args: argparse.Namespace, source: Path, output: Path, store: _Store) -> None:
    from histeq.io.zarr import read_lazy, write_lazy

    image = read_lazy(source)
    full = image.levels[0]
    batch = image.batch_axes or None
    if args.command == "equalize":
        result = _equalize(args, full, image.channel_axis, batch)
    else:
        result = _clahe(args, full, image.channel_axis, batch)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_lazy(output, image, result, store, overwrite=args.force)


def _equalize(args: argparse.Namespace, full: Any, channel_axis: int | None, batch: Any) -> Any:
    import histeq

    result: Any = histeq.equalize(
        full,
        method=args.method,
        nbins=args.nbins,
        mask=None if args.mask is None else _mask(args.mask),
        channel_axis=channel_axis,
        batch_axis=batch,
        target=args.target,
        color=_colour(args, channel_axis),
    )
    return _as_input_levels(result, full.dtype)


def _as_input_levels(result: Any, dtype: np.dtype) -> Any:
    # scikit-image's floats in [0, 1] back to the input's integer levels, as the command line writes files.
    if result.dtype == dtype or dtype.kind == "f":
        return result
    from histeq._core.levels import levels_from_fractions

    return result.map_blocks(levels_from_fractions, dtype, dtype=dtype)


def _colour(args: argparse.Namespace, channel_axis: int | None) -> str | None:
    # --color for the channel axis a store names (OME "channel", TIFF samples); channel by channel by default.
    if args.color not in (None, "channels") and channel_axis is None:
        raise ValueError(f"--color {args.color}: this store names no channel axis (OME 'channel', TIFF samples)")
    return args.color


def _mask(path: Path) -> Any:
    # Non-zero pixels of a Zarr array (lazily) or of an image file.
    from histeq.io import read_image
    from histeq.io.formats import is_zarr_path
    from histeq.io.zarr import read_lazy

    if is_zarr_path(path):
        return read_lazy(path).levels[0] != 0
    return np.asarray(read_image(path)) != 0


def _clahe(args: argparse.Namespace, full: Any, channel_axis: int | None, batch: Any) -> Any:
    import histeq

    options: dict[str, Any] = {"clip_limit": args.clip_limit, "channel_axis": channel_axis, "batch_axis": batch}
    options["color"] = _colour(args, channel_axis)
    if args.method == "skimage":
        kernel = args.kernel_size
        kernel_size = None if kernel is None else kernel[0] if len(kernel) == 1 else tuple(kernel)
        stretched = histeq.clahe(full, method="skimage", kernel_size=kernel_size, nbins=args.nbins, **options)
        return _as_input_levels(stretched, full.dtype)
    if args.kernel_size is not None:
        raise ValueError("--kernel-size is the skimage method's; use --tile-grid")
    grid = args.tile_grid
    options["tile_grid"] = None if grid is None else grid[0] if len(grid) == 1 else tuple(grid)
    options["distribution"] = args.distribution or "uniform"
    if args.alpha is not None:
        options["alpha"] = args.alpha
    dtype = full.dtype
    if dtype.kind in "iu" and dtype.itemsize > 1 and not args.dtype_bins:
        # deeper than 8 bits: binned over the image's own range, as the command line's files
        fractions = full.map_blocks(_fractions, dtype=np.float32 if dtype.itemsize <= 2 else np.float64)
        result: Any = histeq.clahe(fractions, method="opencv", nbins=args.nbins or DEEP_BINS, **options)
        return result.map_blocks(_levels, dtype, dtype=dtype)
    return histeq.clahe(full, method="opencv", nbins=args.nbins, **options)


def _fractions(block: np.ndarray) -> np.ndarray:
    # Levels as fractions of the dtype's range (float32 up to 16 bits, else float64).
    from histeq._core.levels import span

    fractions = block.astype(np.float32 if block.dtype.itemsize <= 2 else np.float64)
    fractions -= fractions.dtype.type(np.iinfo(block.dtype).min)
    fractions /= fractions.dtype.type(span(block.dtype))
    return fractions


def _levels(result: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # Fractions in [0, 1] back to levels over the dtype's whole range.
    from histeq._core.levels import levels_from_offsets, span

    offsets = np.multiply(result, float(span(dtype)), dtype=np.float64)
    np.rint(offsets, out=offsets)
    return levels_from_offsets(offsets, dtype)


class _Store:
    """Computes Dask arrays into Zarr arrays on the chosen scheduler, with a
    progress bar over the blocks written (a distributed scheduler: its own)."""

    def __init__(self, scheduler: str | None, progress: bool) -> None:
        self.scheduler, self.progress = scheduler, progress
        self.client: Any = None

    def __enter__(self) -> _Store:
        if self.scheduler is not None and "://" in self.scheduler:
            from distributed import Client

            self.client = Client(self.scheduler)
        elif self.scheduler not in (None, "threads", "processes", "synchronous", "sync", "single-threaded"):
            raise ValueError(
                f"--scheduler {self.scheduler!r}: use threads, processes, synchronous or a distributed "
                "scheduler's address (tcp://HOST:PORT)"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()

    def __call__(self, sources: list[Any], targets: list[Any]) -> None:
        import dask.array as da

        import dask

        task = da.store(sources, targets, lock=False, compute=False)
        if self.client is not None:
            future = self.client.compute(task)
            if self.progress:
                from distributed import progress

                progress(future)
            future.result()
            return
        with dask.config.set(scheduler=self.scheduler or "threads"), _block_bar(self.progress):
            task.compute()


def _block_bar(enabled: bool) -> Any:
    # A tqdm bar on stderr counting the blocks written (Dask's store tasks).
    import contextlib

    from dask.callbacks import Callback

    if not enabled:
        return contextlib.nullcontext()

    class Blocks(Callback):
        def _start_state(self, dsk: Any, state: Any) -> None:
            from tqdm import tqdm

            total = sum(1 for key in dsk if _stores(key))
            self.bar = tqdm(total=total, unit="block", file=sys.stderr, dynamic_ncols=True)

        def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
            if _stores(key):
                self.bar.update()

        def _finish(self, dsk: Any, state: Any, errored: bool) -> None:
            self.bar.close()

    return Blocks()


def _stores(key: Any) -> bool:
    return isinstance(key, tuple) and isinstance(key[0], str) and key[0].startswith("store-map")
