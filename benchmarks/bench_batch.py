"""Benchmark the ``histeq equalize`` command on a folder of JPEG photos against
Pillow alone decoding and encoding the same files, and ``--workers 2`` against 1.

Run from the repository root::

    python benchmarks/bench_batch.py                 # 500 JPEGs of 1920x1080, 3 rounds
    python benchmarks/bench_batch.py --files 100 --repeat 5

The photos are scikit-image's ``astronaut`` and ``chelsea``, resized to
1920x1080, darkened into a low-contrast band and shifted per file (quality 90).
Three contenders run as fresh processes (interpreter start included), once
per round in a rotating order (interleaved, so machine noise hits all alike):

- ``pillow``: a Python process that opens, decodes and saves every file as
  JPEG (quality 95, the quality histeq writes) into an output folder;
- ``histeq --workers 1`` and ``histeq --workers 2``: ``histeq equalize IN -o
  OUT --force`` (per-channel equalization, metadata kept, safe writes).

Prints the median seconds of each and the ratios: histeq (1 worker) / Pillow
(the issue's target: at most 1.2) and 1 worker / 2 workers (at least 1.7).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

#: What Pillow alone does with every file: decode, then encode at histeq's JPEG quality.
PILLOW_ONLY = """
import sys
from pathlib import Path
from PIL import Image
source, target = Path(sys.argv[1]), Path(sys.argv[2])
for path in sorted(source.iterdir()):
    with Image.open(path) as image:
        image.load()
        image.save(target / path.name, format="JPEG", quality=95)
"""


def make_photos(folder: Path, count: int) -> None:
    """``count`` low-contrast 1920x1080 RGB JPEGs in ``folder``."""
    rng = np.random.default_rng(0)
    photos = [Image.fromarray(image).resize((1920, 1080)) for image in (data.astronaut(), data.chelsea())]
    bases = [np.asarray(photo, dtype=np.float32) for photo in photos]
    for index in range(count):
        base = bases[index % len(bases)]
        dark = 30 + rng.uniform(0, 20) + base * rng.uniform(0.3, 0.5)
        Image.fromarray(dark.astype(np.uint8)).save(folder / f"photo{index:04d}.jpg", quality=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        source, target = Path(scratch, "in"), Path(scratch, "out")
        source.mkdir()
        target.mkdir()
        make_photos(source, args.files)
        contenders = {
            "pillow": [sys.executable, "-c", PILLOW_ONLY, source, target],
            "histeq --workers 1": [sys.executable, "-m", "histeq", "equalize", source, "-o", target, "--force"],
            "histeq --workers 2": [
                sys.executable,
                "-m",
                "histeq",
                "equalize",
                source,
                "-o",
                target,
                "--force",
                "--workers",
                "2",
            ],
        }
        names = list(contenders)
        times: dict[str, list[float]] = {name: [] for name in names}
        subprocess.run(
            contenders["histeq --workers 1"][:4] + [source / "photo0000.jpg", "-o", target / "warm.jpg", "--force"],
            check=True,
            capture_output=True,
        )  # numba's cache
        for round_ in range(args.repeat):
            for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
                start = time.perf_counter()
                subprocess.run(list(map(str, contenders[name])), check=True, capture_output=True)
                times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{args.files} JPEGs of 1920x1080, median of {args.repeat} interleaved rounds")
    for name, seconds in medians.items():
        print(f"  {name:<20} {seconds:8.2f} s   {seconds / args.files * 1e3:7.1f} ms per file")
    one, two, pillow = medians["histeq --workers 1"], medians["histeq --workers 2"], medians["pillow"]
    print(f"  histeq (1 worker) / Pillow decode+encode = {one / pillow:.3f}   (target <= 1.2)")
    print(f"  1 worker / 2 workers = {one / two:.2f}x   (target >= 1.7x)")


if __name__ == "__main__":
    main()
