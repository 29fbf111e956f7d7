"""Benchmark histeq on Dask arrays (issue 20).

Run from the repository root (needs the dask extra; ``clahe`` also
opencv-python-headless)::

    python benchmarks/bench_dask.py throughput            # in-memory numpy call vs Dask, per core and all cores
    python benchmarks/bench_dask.py memory --gib 10       # global equalization of a 10 GiB uint8 Zarr to Zarr
    python benchmarks/bench_dask.py memory --gib 2 --cluster
    python benchmarks/bench_dask.py clahe --size 32000    # CLAHE 8x8 of a 32000^2 uint8 Zarr vs cv2 once

- ``throughput``: ``histeq.equalize`` (and ``clahe``) of arrays that fit in
  memory, the numpy call against the same call on a Dask array of 16 MiB
  (uint8) blocks computed into memory; on one core (histeq's kernels on one
  thread, Dask's synchronous scheduler) and on all (histeq's threads, Dask's
  threaded scheduler). Prints medians and the Dask throughput as a fraction of
  the numpy call's (target >= 0.70 per core); results are checked bit for bit.
- ``memory``: writes a uint8 Zarr v3 array of ``--gib`` GiB in 64 MiB chunks
  (8192 x 8192, uncompressed: the disk's speed, not a codec's), then, in a
  fresh process, equalizes it into a Zarr array (``histeq.equalize`` of
  ``da.from_zarr``, ``da.store``) and prints the wall time and the peak
  resident memory (VmHWM) of that process (target < 1 GB on the threaded
  scheduler). ``--cluster``: on a ``LocalCluster(n_workers=2,
  threads_per_worker=1, memory_limit="1GiB")`` instead, reporting whether any
  worker was restarted (target: none). The result is checked against the
  plan of the summed histogram (``histeq.histogram`` of the store) on a sample of
  blocks. The stores are written to ``--dir`` (default: a temporary folder)
  and removed at the end.
- ``clahe``: a ``--size`` x ``--size`` uint8 Zarr array (4096 x 4096 chunks),
  ``histeq.clahe(clip_limit=2, tile_grid=8)`` of it into Zarr in a fresh
  process (wall time, peak resident memory; target < 1.5 GB), then in
  another process ``cv2.createCLAHE(2.0, (8, 8)).apply`` on the whole array
  in memory, compared bit for bit with the Zarr result, with cv2's time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import histeq
from _timing import interleaved

CHUNK = 8192  # 64 MiB of uint8


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def throughput(repeat: int) -> None:

    import dask
    from histeq.backends import get_num_threads, set_num_threads

    rng = np.random.default_rng(0)
    cases = {
        "equalize uint8 8192^2": (rng.integers(0, 256, (8192, 8192), dtype=np.uint8), histeq.equalize, {}),
        "equalize uint16 4096^2": (rng.integers(0, 4096, (4096, 4096), dtype=np.uint16), histeq.equalize, {}),
        "equalize float32 4096^2": (rng.normal(size=(4096, 4096)).astype(np.float32), histeq.equalize, {}),
        "clahe uint8 8192^2": (
            rng.integers(0, 256, (8192, 8192), dtype=np.uint8),
            histeq.clahe,
            {"clip_limit": 2.0, "tile_grid": 8},
        ),
    }
    threads = get_num_threads()
    for label, scheduler, kernel_threads in (("one core", "synchronous", 1), ("all cores", "threads", threads)):
        set_num_threads(kernel_threads)
        print(f"{label} (histeq threads {kernel_threads}, dask scheduler {scheduler}):")
        with dask.config.set(scheduler=scheduler, num_workers=threads):
            for name, (image, function, options) in cases.items():
                _compare(name, image, function, options, repeat)
    set_num_threads(threads)


def _compare(name: str, image: np.ndarray, function, options: dict, repeat: int) -> None:
    # Blocks of whole rows (16 MiB of uint8; contiguous, as a Zarr chunk is in memory). Dask writes into an
    # array of its own (da.store: each block copied in once); the numpy call both allocating its result (the
    # usual call) and writing into a ready out= (no page faults: its best case).
    import dask.array as da

    lazy = da.from_array(image, chunks=(max(1, (16 << 20) // (image.shape[1] * image.itemsize)), image.shape[1]))
    expected = function(image, **options)
    out, lazy_out = np.empty_like(expected), np.empty_like(expected)
    da.store(function(lazy, **options), lazy_out, lock=False)
    if not np.array_equal(expected, lazy_out):
        sys.exit(f"{name}: the Dask result differs from the numpy call")
    times = interleaved(
        {
            "numpy": lambda: function(image, **options),
            "numpy out=": lambda: function(image, out=out, **options),
            "dask": lambda: da.store(function(lazy, **options), lazy_out, lock=False),
        },
        repeat,
    )
    print(
        f"  {name:26s} numpy {times['numpy'] * 1e3:7.1f} ms (out= {times['numpy out='] * 1e3:7.1f})  "
        f"dask {times['dask'] * 1e3:7.1f} ms  dask throughput {times['numpy'] / times['dask']:.2f} of numpy's "
        f"({times['numpy out='] / times['dask']:.2f} of numpy out='s)"
    )


def make_store(path: Path, shape: tuple[int, int], chunk: int) -> None:
    """A uint8 Zarr v3 array of ``shape`` (uncompressed), filled block by block
    with a skewed random image (not flat: its equalization moves levels)."""
    import zarr

    array = zarr.create_array(str(path), shape=shape, chunks=(chunk, chunk), dtype=np.uint8, compressors=None)
    rng = np.random.default_rng(1)
    ramp = (np.arange(chunk, dtype=np.float32) / chunk)[:, None]
    for i in range(0, shape[0], chunk):
        for j in range(0, shape[1], chunk):
            rows, columns = min(chunk, shape[0] - i), min(chunk, shape[1] - j)
            noise = rng.integers(0, 64, (rows, columns), dtype=np.uint8)
            array[i : i + rows, j : j + columns] = noise + (ramp[:rows] * 128).astype(np.uint8)


def run_child(arguments: list[str]) -> dict:
    """Run this script's ``_child`` command in a fresh process; its JSON line."""
    command = [sys.executable, __file__, "_child", *arguments]
    output = subprocess.run(command, capture_output=True, text=True, check=True, cwd=Path(__file__).parent)
    return json.loads(output.stdout.strip().splitlines()[-1])


def child(arguments: argparse.Namespace) -> None:
    """The measured work, in a fresh process: prints one JSON line."""
    import dask.array as da
    import zarr

    import dask

    source = zarr.open_array(arguments.source, mode="r")
    if arguments.operation == "cv2":
        import cv2

        image = source[...]
        start = time.perf_counter()
        result = cv2.createCLAHE(2.0, (8, 8)).apply(image)
        seconds = time.perf_counter() - start
        equal = bool(np.array_equal(result, zarr.open_array(arguments.target, mode="r")[...]))
        print(json.dumps({"seconds": seconds, "equal": equal, "peak_mb": peak_rss_mb()}))
        return
    lazy = da.from_zarr(source)
    if arguments.operation == "equalize":
        result = histeq.equalize(lazy)
    else:
        result = histeq.clahe(lazy, clip_limit=2.0, tile_grid=8)
    target = zarr.create_array(
        arguments.target, shape=source.shape, chunks=source.chunks, dtype=np.uint8, compressors=None
    )
    start = time.perf_counter()
    restarted = None
    if arguments.cluster:
        from distributed import Client, LocalCluster

        with (
            LocalCluster(n_workers=2, threads_per_worker=1, memory_limit="1GiB", dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            before = set(client.scheduler_info()["workers"])
            da.store(result, target, lock=False, compute=False).compute()
            restarted = set(client.scheduler_info()["workers"]) != before
    else:
        with dask.config.set(scheduler="threads"):
            da.store(result, target, lock=False)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": peak_rss_mb(), "restarted": restarted}))


def check_sample(source: Path, target: Path) -> bool:
    """The output equals the plan of the store's summed histogram on a few blocks."""
    import dask.array as da
    import zarr

    counts = histeq.histogram(da.from_zarr(zarr.open_array(str(source), mode="r"))).counts
    plan = histeq.plan_equalization(counts, dtype=np.uint8)
    src, out = zarr.open_array(str(source), mode="r"), zarr.open_array(str(target), mode="r")
    rows, columns = src.shape
    for i, j in ((0, 0), (rows - 1000, columns - 1000), (rows // 2, columns // 3)):
        window = (slice(i, i + 1000), slice(j, j + 1000))
        if not np.array_equal(plan.apply(src[window]), out[window]):
            return False
    return True


def memory(arguments: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(dir=arguments.dir) as folder:
        side = int(math.sqrt(arguments.gib * 2**30))
        shape = (side // CHUNK * CHUNK or CHUNK, (arguments.gib * 2**30) // (side // CHUNK * CHUNK or CHUNK))
        source, target = Path(folder) / "in.zarr", Path(folder) / "out.zarr"
        start = time.perf_counter()
        make_store(source, shape, CHUNK)
        size = shape[0] * shape[1] / 2**30
        seconds = time.perf_counter() - start
        print(f"wrote {shape[0]} x {shape[1]} uint8 ({size:.1f} GiB, 64 MiB chunks) in {seconds:.0f} s")
        options = ["equalize", str(source), str(target)] + (["--cluster"] if arguments.cluster else [])
        result = run_child(options)
        where = "LocalCluster(2 workers, 1 thread each, 1 GiB)" if arguments.cluster else "threaded scheduler"
        print(
            f"equalize Zarr -> Zarr on the {where}: {result['seconds']:.0f} s "
            f"({size * 1024 / result['seconds']:.0f} MiB/s), peak resident memory of the process "
            f"{result['peak_mb']:.0f} MB"
            + ("" if result["restarted"] is None else f", workers restarted: {result['restarted']}")
        )
        print(f"sampled blocks equal the plan of the summed histogram: {check_sample(source, target)}")
        shutil.rmtree(source)
        shutil.rmtree(target)


def clahe(arguments: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(dir=arguments.dir) as folder:
        source, target = Path(folder) / "in.zarr", Path(folder) / "out.zarr"
        make_store(source, (arguments.size, arguments.size), 4096)
        result = run_child(["clahe", str(source), str(target)])
        print(
            f"clahe 8x8 of {arguments.size}^2 uint8 Zarr -> Zarr (threaded scheduler): {result['seconds']:.1f} s, "
            f"peak resident memory {result['peak_mb']:.0f} MB"
        )
        reference = run_child(["cv2", str(source), str(target)])
        print(
            f"cv2.createCLAHE in memory: {reference['seconds']:.1f} s (peak {reference['peak_mb']:.0f} MB with the "
            f"arrays); Zarr result bit-identical to cv2: {reference['equal']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    speed = commands.add_parser("throughput")
    speed.add_argument("--repeat", type=int, default=5)
    big = commands.add_parser("memory")
    big.add_argument("--gib", type=int, default=2)
    big.add_argument("--cluster", action="store_true")
    big.add_argument("--dir", default=None)
    tiles = commands.add_parser("clahe")
    tiles.add_argument("--size", type=int, default=8192)
    tiles.add_argument("--dir", default=None)
    work = commands.add_parser("_child")
    work.add_argument("operation", choices=["equalize", "clahe", "cv2"])
    work.add_argument("source")
    work.add_argument("target")
    work.add_argument("--cluster", action="store_true")
    arguments = parser.parse_args()
    {"throughput": lambda: throughput(arguments.repeat), "memory": lambda: memory(arguments)}.get(
        arguments.command, lambda: clahe(arguments) if arguments.command == "clahe" else child(arguments)
    )()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
