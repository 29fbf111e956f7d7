"""Benchmark the ``histeq`` command as people call it: one file, a cold start
after ``pip install``, the demo, and a folder, each against Pillow doing the
same job.

Run from the repository root::

    python benchmarks/bench_cli.py                  # 100 photos, 7 rounds of one file, 3 of the rest
    python benchmarks/bench_cli.py --quick          # 30 photos, fewer rounds
    python benchmarks/bench_cli.py --compiled-cold  # also the compiled kernels from a cold cache

The photos are scikit-image's ``astronaut`` and ``chelsea``, resized to
1920x1080, darkened into a low-contrast band and shifted per file (JPEG
quality 90). Every contender is a fresh process (interpreter start
included); each round runs every contender of a group once, in a rotating
order (interleaved, so machine noise hits all alike). Printed: the median
wall time, the median CPU time (user + system of the process: on a busy
machine it says what the wall time would be on an idle one, for one core),
and the ratios the issue set targets for.

- **one file**: ``histeq equalize one.jpg -o out.jpg`` (RGB JPEG: ``--color
  ycrcb``, the default) against a Python script that opens the file, runs
  ``PIL.ImageOps.equalize`` and saves it at the same JPEG quality histeq
  writes by default (the input's quantization tables and subsampling,
  Pillow's ``quality="keep"``). ``warm``: numba's kernel cache as a previous
  run left it. ``cold``: an empty kernel cache (``NUMBA_CACHE_DIR`` a new
  folder every run), as right after ``pip install``. ``HISTEQ_BACKEND=numba``
  rows force the compiled kernels (what the command did before small
  one-shot images took the numpy backend).
- **demo**: ``histeq demo`` warm and cold.
- **folder**: ``histeq equalize in/ -o out/`` (default workers: threads),
  ``--workers 1`` and ``--workers 2`` (processes), against a one-process
  Pillow loop doing the one-file script's job on every file. Then histeq's
  best case: its start-up with the compiled kernels (a run on a 16x16 JPEG)
  plus every file's JPEG decoding and encoding (Pillow's, measured in this
  process: the work both sides do) spread perfectly over all CPUs, as if
  equalizing cost nothing; that bound says how far a folder run can get.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, JpegImagePlugin
from skimage import data

#: Pillow's one-file job: equalize every channel, save at the input's JPEG quality.
PILLOW_ONE = """
import sys
from PIL import Image, ImageOps, JpegImagePlugin
with Image.open(sys.argv[1]) as image:
    kept = {"qtables": image.quantization, "subsampling": JpegImagePlugin.get_sampling(image)}
    ImageOps.equalize(image).save(sys.argv[2], format="JPEG", **kept)
"""

#: The same job on every file of a folder, in one process.
PILLOW_LOOP = """
import sys
from pathlib import Path
from PIL import Image, ImageOps, JpegImagePlugin
source, target = Path(sys.argv[1]), Path(sys.argv[2])
for path in sorted(source.iterdir()):
    with Image.open(path) as image:
        kept = {"qtables": image.quantization, "subsampling": JpegImagePlugin.get_sampling(image)}
        ImageOps.equalize(image).save(target / path.name, format="JPEG", **kept)
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


def codec_seconds(folder: Path, repeat: int = 3) -> float:
    """The median time Pillow takes to decode a file of ``folder`` and encode
    it again as the Pillow loop saves it: the work both sides of the folder
    comparison do on every file, whatever they equalize with."""
    times = []
    for path in sorted(folder.iterdir()) * repeat:
        start = time.perf_counter()
        with Image.open(path) as image:
            kept = {"qtables": image.quantization, "subsampling": JpegImagePlugin.get_sampling(image)}
            image.load()
            image.save(io.BytesIO(), format="JPEG", **kept)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class Contender:
    """A command run as a fresh process; ``cold``: with an empty numba cache every run."""

    def __init__(self, command: list, scratch: Path, *, backend: str = "auto", cold: bool = False) -> None:
        self.command = [str(part) for part in command]
        self.scratch = scratch
        self.backend = backend
        self.cold = cold
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def run(self) -> None:
        # Bytecode cached as pip install leaves it (PYTHONDONTWRITEBYTECODE would
        # have an editable install compile histeq's modules in every run).
        env = {**os.environ, "HISTEQ_BACKEND": self.backend}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if self.cold:
            env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="numba-cold-", dir=self.scratch)
        start = time.perf_counter()
        process = subprocess.Popen(self.command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        error = process.stderr.read().decode() if process.stderr else ""
        if process.stderr:
            process.stderr.close()
        if process.returncode:
            raise RuntimeError(f"{' '.join(self.command)} failed: {error}")
        self.wall.append(wall)
        self.cpu.append(usage.ru_utime + usage.ru_stime)

    @property
    def seconds(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(self.cpu)


def interleaved(contenders: dict[str, Contender], rounds: int) -> None:
    names = list(contenders)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            contenders[name].run()


def table(title: str, contenders: dict[str, Contender], base: str) -> None:
    print(f"\n{title} (medians; ratio: wall time / {base}'s)")
    for name, contender in contenders.items():
        ratio = contender.seconds / contenders[base].seconds
        print(f"  {name:<34} {contender.seconds:7.2f} s wall {contender.cpu_seconds:7.2f} s cpu   x{ratio:5.2f}")


def verdict(label: str, value: float, target: float, unit: str = "") -> None:
    print(f"  {label:<58} {value:6.2f}{unit}  (target <= {target}{unit}: {'met' if value <= target else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7, help="rounds of the one-file group")
    parser.add_argument("--slow-rounds", type=int, default=3, help="rounds of the demo and folder groups")
    parser.add_argument("--quick", action="store_true", help="30 files, 5 and 2 rounds")
    parser.add_argument("--compiled-cold", action="store_true", help="also the compiled kernels, cold (slow)")
    parser.add_argument(
        "--groups", nargs="+", choices=("one", "demo", "folder"), default=("one", "demo", "folder"), help="what to run"
    )
    args = parser.parse_args()
    if args.quick:
        args.files, args.rounds, args.slow_rounds = 30, 5, 2
    histeq = [sys.executable, "-m", "histeq"]
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        source, target = scratch / "in", scratch / "out"
        source.mkdir()
        target.mkdir()
        make_photos(source, args.files)
        one = source / "photo0000.jpg"
        equalize_one = [*histeq, "equalize", one, "-o", scratch / "one-histeq.jpg", "--force"]
        subprocess.run(equalize_one, check=True, capture_output=True)  # numba's cache as a run leaves it
        subprocess.run([*histeq, "demo", "-o", scratch / "demo", "--force"], check=True, capture_output=True)
        subprocess.run(equalize_one, check=True, capture_output=True, env={**os.environ, "HISTEQ_BACKEND": "numba"})

        single = {
            "pillow script": Contender([sys.executable, "-c", PILLOW_ONE, one, scratch / "one-pil.jpg"], scratch),
            "histeq, warm": Contender(equalize_one, scratch),
            "histeq, cold": Contender(equalize_one, scratch, cold=True),
            "histeq HISTEQ_BACKEND=numba, warm": Contender(equalize_one, scratch, backend="numba"),
        }
        if args.compiled_cold:
            single["histeq HISTEQ_BACKEND=numba, cold"] = Contender(equalize_one, scratch, backend="numba", cold=True)
        demo = [*histeq, "demo", "-o", scratch / "demo", "--force"]
        demos = {"demo, warm": Contender(demo, scratch), "demo, cold": Contender(demo, scratch, cold=True)}
        folder_run = [*histeq, "equalize", source, "-o", target, "--force"]
        tiny = scratch / "tiny.jpg"
        Image.new("RGB", (16, 16), (90, 60, 30)).save(tiny, quality=90)
        start_up = [*histeq, "equalize", tiny, "-o", scratch / "tiny-histeq.jpg", "--force"]
        folders = {
            "pillow loop": Contender([sys.executable, "-c", PILLOW_LOOP, source, target], scratch),
            "histeq (default: threads)": Contender(folder_run, scratch),
            "histeq --workers 1": Contender([*folder_run, "--workers", "1"], scratch),
            "histeq --workers 2 (processes)": Contender([*folder_run, "--workers", "2"], scratch),
            "histeq start-up: a 16x16 JPEG, compiled": Contender(start_up, scratch, backend="numba"),
        }
        if "one" in args.groups:
            interleaved(single, args.rounds)
            table("one 1920x1080 JPEG", single, "pillow script")
        if "demo" in args.groups:
            interleaved(demos, args.slow_rounds)
            table("histeq demo", demos, "demo, warm")
        if "folder" in args.groups:
            interleaved(folders, args.slow_rounds)
            table(f"a folder of {args.files} 1920x1080 JPEGs", folders, "pillow loop")
            codec = codec_seconds(source)
            best = folders["histeq start-up: a 16x16 JPEG, compiled"].seconds + args.files * codec / os.cpu_count()
            print(
                f"  Pillow's decode + encode alone: {codec * 1000:.1f} ms a file (in one process); histeq's best case "
                f"(its start-up, then every file's decode + encode on all {os.cpu_count()} CPUs, equalization free): "
                f"{best:.2f} s, x{best / folders['pillow loop'].seconds:.2f}"
            )

    print("\ntargets (issue 22)")
    if "one" in args.groups:
        verdict("one file, warm / Pillow script", single["histeq, warm"].seconds / single["pillow script"].seconds, 2.5)
        verdict("one file, cold", single["histeq, cold"].seconds, 1.5, " s")
    if "demo" in args.groups:
        verdict("demo, cold", demos["demo, cold"].seconds, 5.0, " s")
    if "folder" in args.groups:
        ratio = folders["histeq (default: threads)"].seconds / folders["pillow loop"].seconds
        verdict("folder, default workers / Pillow loop", ratio, 0.75)
    print(f"  (load average now: {', '.join(f'{load:.1f}' for load in os.getloadavg())} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
