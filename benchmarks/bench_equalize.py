"""Benchmark ``histeq.equalize`` against OpenCV, scikit-image, Pillow and numpy.

Run from the repository root (needs opencv-python-headless, scikit-image and
Pillow, i.e. ``pip install -e .[bench]``)::

    python benchmarks/bench_equalize.py              # 4K images, 15 repetitions
    python benchmarks/bench_equalize.py --repeat 30  # more repetitions
    python benchmarks/bench_equalize.py --quick      # 1080p images, 5 repetitions
    python benchmarks/bench_equalize.py --back-to-back   # diagnosis: hot loops, not interleaved

What it does
------------
1. Builds realistic test images with a seeded ``numpy.random.Generator``: a smooth
   gradient with some low-frequency structure plus gaussian noise, squeezed into
   a narrow band of the dtype's range (the kind of image one equalizes), never
   uniform noise.
2. Checks that the outputs agree where they must (``method="opencv"`` ==
   ``cv2.equalizeHist`` bit for bit on uint8, ``method="pillow"`` ==
   ``PIL.ImageOps.equalize``, ``method="skimage"`` within 1 ulp of
   ``skimage.exposure.equalize_hist``) and prints ``ok`` or ``FAIL`` per check.
   Any failure makes the script exit with status 1 (after the timings).
3. Calls every contender once (numba compiles, caches warm up), then times all
   contenders of a case INTERLEAVED: each repetition runs every contender once,
   in a rotating order, so that machine noise (turbo, other processes, thermal
   throttling) hits all of them alike.
4. Prints a Markdown table, ready to paste into the README.
5. Times, in fresh subprocesses, ``import histeq`` (wall clock of
   ``python -c "import histeq"`` minus ``python -c pass``) and the first
   ``histeq.equalize`` call on a small image, with a warm numba disk cache (a
   private ``NUMBA_CACHE_DIR`` filled by one run beforehand) and a cold one (an
   empty ``NUMBA_CACHE_DIR`` per run, so everything compiles).
6. Measures, before and after the timings, how many of histeq's threads really
   run at once, and warns when the machine gives the process fewer cores than
   it has threads (shared and virtual machines do): threaded timings (histeq,
   OpenCV) mean little then.

How to read the table
---------------------
* ``median`` columns are the median wall-clock times (``time.perf_counter``) of
  one call, in milliseconds. Absolute times swing 2x from run to run and from
  machine to machine: do not compare them across runs.
* ``ratio`` is histeq's median time divided by the peer's median time, both
  measured in the same interleaved loop: below 1 histeq is faster (0.25 = 4x
  faster), above 1 slower. Ratios are what is stable; quote those.
* ``spread`` is the 25th..75th percentile of the per-repetition ratios
  (histeq's time in repetition i / the peer's in repetition i): a wide spread
  means a noisy machine; re-run with a larger ``--repeat``.
* ``target`` is the ratio histeq aims for, where there is one; ``verdict`` says
  whether this run met it.
* Interleaving means histeq's pool threads have usually gone to sleep while
  the peer ran, as they would in a real pipeline, and waking them is part of
  histeq's time. ``--back-to-back`` shows the hot-pool best case. The header
  lists the threading environment variables that change thread counts.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numba
import numpy as np
import PIL
import skimage
from PIL import Image, ImageOps
from skimage import exposure

import histeq
from histeq.backends import _threads

SEED = 20240501


# --------------------------------------------------------------------------- images


def _structure(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A smooth field in [0, 1]: diagonal gradient, soft blobs, gaussian noise."""
    y = np.linspace(0.0, 1.0, height)[:, None]
    x = np.linspace(0.0, 1.0, width)[None, :]
    phase = rng.uniform(0, 2 * np.pi, size=3)
    field_ = (
        0.55 * (0.6 * x + 0.4 * y)
        + 0.15 * np.sin(5 * np.pi * x + phase[0]) * np.cos(3 * np.pi * y + phase[1])
        + 0.10 * np.sin(11 * np.pi * (x + y) + phase[2])
    )
    field_ = (field_ - field_.min()) / (field_.max() - field_.min())
    field_ += rng.normal(0.0, 0.04, size=(height, width))
    return np.clip(field_, 0.0, 1.0)


def make_image(rng: np.random.Generator, height: int, width: int, dtype, channels: int = 0) -> np.ndarray:
    """A low-contrast image: the structure squeezed into a narrow band of ``dtype``."""
    dtype = np.dtype(dtype)
    # (low, high) of the band each dtype's image occupies
    band = {np.dtype(np.uint8): (60.0, 170.0), np.dtype(np.uint16): (9000.0, 23000.0)}
    planes = []
    for _ in range(max(channels, 1)):
        base = _structure(rng, height, width)
        if dtype.kind == "f":
            # in [0.2, 0.7], plus a few exact 0 and 1 pixels (saturation)
            plane = 0.2 + 0.5 * base
            plane.flat[rng.integers(0, plane.size, 200)] = 0.0
            plane.flat[rng.integers(0, plane.size, 200)] = 1.0
        else:
            low, high = band[dtype]
            low += rng.uniform(-10, 10) * (high - low) / 100  # each channel its own band
            plane = np.rint(low + (high - low) * base)
        planes.append(plane.astype(dtype))
    return np.stack(planes, axis=-1) if channels else planes[0]


# ----------------------------------------------------------------- reference code


def numpy_equalize_uint8(image: np.ndarray) -> np.ndarray:
    """Plain numpy: bincount, cumulative sum, LUT by fancy indexing (OpenCV's formula)."""
    counts = np.bincount(image.ravel(), minlength=256)
    cdf = np.cumsum(counts)
    first = cdf[np.flatnonzero(counts)[0]]
    scale = np.float32(255.0) / np.float32(image.size - first)
    lut = np.rint((cdf - first).astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    return lut[image]


def cv2_per_channel(image: np.ndarray) -> np.ndarray:
    return cv2.merge([cv2.equalizeHist(plane) for plane in cv2.split(image)])


def pil_roundtrip(image: np.ndarray) -> np.ndarray:
    return np.asarray(ImageOps.equalize(Image.fromarray(image)))


# ---------------------------------------------------------------------- checks


def check_equal(a: np.ndarray, b: np.ndarray) -> tuple[bool, str]:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False, f"shape/dtype differ: {a.shape} {a.dtype} vs {b.shape} {b.dtype}"
    differ = np.count_nonzero(a != b)
    if differ == 0:
        return True, "bit-identical"
    where = tuple(int(i) for i in np.argwhere(a != b)[0])
    return False, f"{differ} of {a.size} values differ; first at {where}: {a[where].item()!r} vs {b[where].item()!r}"


def check_ulp(a: np.ndarray, b: np.ndarray, max_ulp: int = 1) -> tuple[bool, str]:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False, f"shape/dtype differ: {a.shape} {a.dtype} vs {b.shape} {b.dtype}"
    same = np.count_nonzero(a == b)
    ulps = np.abs(a.astype(np.float64) - b.astype(np.float64)) / np.spacing(np.abs(b))
    worst = float(np.nanmax(ulps))
    ok = worst <= max_ulp and np.array_equal(np.isnan(a), np.isnan(b))
    return ok, f"{same / a.size:.4%} bit-identical, max {worst:g} ulp ({a.dtype})"


# -------------------------------------------------------------------- structure


@dataclass
class Contender:
    name: str
    fn: Callable[[], object]
    times: list[float] = field(default_factory=list)

    def median(self) -> float:
        return float(np.median(self.times))


@dataclass
class Comparison:
    ours: str  # a histeq contender
    peer: str
    target: float | None = None  # the ratio histeq aims to stay at or below


@dataclass
class Check:
    label: str
    run: Callable[[], tuple[bool, str]]


@dataclass
class Case:
    title: str
    contenders: list[Contender]
    comparisons: list[Comparison]
    checks: list[Check]

    def contender(self, name: str) -> Contender:
        return next(c for c in self.contenders if c.name == name)


def build_cases(quick: bool) -> list[Case]:
    rng = np.random.default_rng(SEED)
    h, w = (1080, 1920) if quick else (2160, 3840)
    rh, rw = (540, 960) if quick else (1080, 1920)
    g8 = make_image(rng, h, w, np.uint8)
    g16 = make_image(rng, h, w, np.uint16)
    f32 = make_image(rng, h, w, np.float32)
    rgb = make_image(rng, rh, rw, np.uint8, channels=3)
    g8_pil, rgb_pil = Image.fromarray(g8), Image.fromarray(rgb)
    size, rgb_size = f"{w}x{h}", f"{rw}x{rh}"

    def C(name, fn):
        return Contender(name, fn)

    eq = histeq.equalize
    return [
        Case(
            f"uint8 {size} grey",
            [
                C("histeq opencv", lambda: eq(g8)),
                C("cv2.equalizeHist", lambda: cv2.equalizeHist(g8)),
                C("numpy bincount+LUT", lambda: numpy_equalize_uint8(g8)),
                C("histeq pillow", lambda: eq(g8, method="pillow")),
                C("PIL ImageOps.equalize", lambda: ImageOps.equalize(g8_pil)),
                C("PIL fromarray+equalize+asarray", lambda: pil_roundtrip(g8)),
            ],
            [
                Comparison("histeq opencv", "cv2.equalizeHist", 1.0),
                Comparison("histeq opencv", "numpy bincount+LUT"),
                Comparison("histeq pillow", "PIL ImageOps.equalize"),
                Comparison("histeq pillow", "PIL fromarray+equalize+asarray"),
            ],
            [
                Check("opencv == cv2.equalizeHist", lambda: check_equal(eq(g8), cv2.equalizeHist(g8))),
                Check(
                    "pillow == PIL.ImageOps.equalize",
                    lambda: check_equal(eq(g8, method="pillow"), np.asarray(ImageOps.equalize(g8_pil))),
                ),
                Check(
                    "numpy reference == cv2 (sanity of the reference)",
                    lambda: check_equal(numpy_equalize_uint8(g8), cv2.equalizeHist(g8)),
                ),
            ],
        ),
        Case(
            f"uint16 {size} grey",
            [
                C("histeq opencv", lambda: eq(g16)),
                C("histeq skimage", lambda: eq(g16, method="skimage")),
                C("skimage equalize_hist", lambda: exposure.equalize_hist(g16)),
            ],
            [
                Comparison("histeq opencv", "skimage equalize_hist", 0.01),
                Comparison("histeq skimage", "skimage equalize_hist"),
            ],
            [
                Check(
                    "skimage method within 1 ulp of skimage",
                    lambda: check_ulp(eq(g16, method="skimage"), exposure.equalize_hist(g16)),
                ),
            ],
        ),
        Case(
            f"float32 {size} nbins=256",
            [
                C("histeq opencv", lambda: eq(f32, nbins=256)),
                C("histeq skimage", lambda: eq(f32, method="skimage", nbins=256)),
                C("skimage equalize_hist", lambda: exposure.equalize_hist(f32, nbins=256)),
            ],
            [
                Comparison("histeq opencv", "skimage equalize_hist", 0.05),
                Comparison("histeq skimage", "skimage equalize_hist"),
            ],
            [
                Check(
                    "skimage method within 1 ulp of skimage",
                    lambda: check_ulp(eq(f32, method="skimage", nbins=256), exposure.equalize_hist(f32, nbins=256)),
                ),
            ],
        ),
        Case(
            f"RGB uint8 {rgb_size} per channel",
            [
                C("histeq opencv", lambda: eq(rgb, channel_axis=-1)),
                C("cv2 split+equalizeHist+merge", lambda: cv2_per_channel(rgb)),
                C("histeq pillow", lambda: eq(rgb, method="pillow", channel_axis=-1)),
                C("PIL ImageOps.equalize RGB", lambda: ImageOps.equalize(rgb_pil)),
            ],
            [
                Comparison("histeq opencv", "cv2 split+equalizeHist+merge"),
                Comparison("histeq pillow", "PIL ImageOps.equalize RGB"),
            ],
            [
                Check(
                    "opencv == cv2 per channel",
                    lambda: check_equal(eq(rgb, channel_axis=-1), cv2_per_channel(rgb)),
                ),
                Check(
                    "pillow == PIL.ImageOps.equalize (RGB)",
                    lambda: check_equal(
                        eq(rgb, method="pillow", channel_axis=-1), np.asarray(ImageOps.equalize(rgb_pil))
                    ),
                ),
            ],
        ),
        Case(
            f"histogram only, uint8 {size}",
            [
                C("histeq.histogram", lambda: histeq.histogram(g8)),
                C("np.bincount", lambda: np.bincount(g8.ravel(), minlength=256)),
                C("cv2.calcHist", lambda: cv2.calcHist([g8], [0], None, [256], [0, 256])),
            ],
            [
                Comparison("histeq.histogram", "np.bincount"),
                Comparison("histeq.histogram", "cv2.calcHist"),
            ],
            [
                Check(
                    "histogram == np.bincount",
                    lambda: check_equal(histeq.histogram(g8).counts, np.bincount(g8.ravel(), minlength=256)),
                ),
            ],
        ),
    ]


# ---------------------------------------------------------------------- timing


def time_case(case: Case, repeat: int, back_to_back: bool = False) -> None:
    """Warm every contender up, then time them interleaved, in rotating order.

    ``back_to_back`` times each contender ``repeat`` times in a row instead: the
    best case for thread pools and caches (the workers were busy a moment
    ago), for comparison with the interleaved times.
    """
    for c in case.contenders:
        c.fn()
    n = len(case.contenders)
    if back_to_back:
        for c in case.contenders:
            gc.collect()
            c.fn()
            for _ in range(repeat):
                t0 = time.perf_counter()
                c.fn()
                c.times.append(time.perf_counter() - t0)
        return
    for i in range(repeat):
        gc.collect()
        for k in range(n):
            c = case.contenders[(i + k) % n]
            t0 = time.perf_counter()
            c.fn()
            c.times.append(time.perf_counter() - t0)


def comparison_row(case: Case, comp: Comparison) -> list[str]:
    ours, peer = case.contender(comp.ours), case.contender(comp.peer)
    ratio = ours.median() / peer.median()
    paired = np.asarray(ours.times) / np.asarray(peer.times)
    p25, p75 = np.percentile(paired, [25, 75])
    if comp.target is None:
        target = verdict = "-"
    else:
        target = f"<= {comp.target:g}"
        verdict = "meets" if ratio <= comp.target else "**misses**"
    speed = f"{1 / ratio:.1f}x faster" if ratio <= 1 else f"{ratio:.2f}x slower"
    return [
        case.title,
        f"`{ours.name}`",
        f"`{peer.name}`",
        f"{ours.median() * 1e3:.2f}",
        f"{peer.median() * 1e3:.2f}",
        f"**{ratio:.3f}** ({speed})",
        f"{p25:.3f}..{p75:.3f}",
        target,
        verdict,
    ]


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# ------------------------------------------------------------ fresh subprocesses

_FIRST_CALL = textwrap.dedent(
    """
    import time
    t0 = time.perf_counter()
    import numpy as np, histeq
    t1 = time.perf_counter()
    image = np.random.default_rng(0).integers(40, 200, (64, 64), dtype=np.uint8)
    histeq.equalize(image)
    t2 = time.perf_counter()
    histeq.equalize(image)
    t3 = time.perf_counter()
    print(t1 - t0, t2 - t1, t3 - t2)
    """
)


def _wall(code: str, env: dict | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - t0


def _first_call(cache_dir: str) -> tuple[float, float, float]:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    done = subprocess.run([sys.executable, "-c", _FIRST_CALL], check=True, env=env, capture_output=True, text=True)
    return tuple(float(v) for v in done.stdout.split())


def startup_report(quick: bool) -> str:
    n = 3 if quick else 5
    # (a) import time: interleaved with a bare interpreter start
    bare, imported = [], []
    for _ in range(n):
        bare.append(_wall("pass"))
        imported.append(_wall("import histeq"))
    import_s = np.median(imported) - np.median(bare)

    # (b) warm numba disk cache: a private cache directory, filled by one run first
    # (c) cold cache: a fresh, empty cache directory for every run
    with tempfile.TemporaryDirectory(prefix="histeq-numba-warm-") as warm_dir:
        _first_call(warm_dir)
        warm = [_first_call(warm_dir) for _ in range(n)]
    n_cold = max(1, n // 2)  # a cold compile takes seconds
    cold = []
    for _ in range(n_cold):
        with tempfile.TemporaryDirectory(prefix="histeq-numba-cold-") as cold_dir:
            cold.append(_first_call(cold_dir))
    warm, cold = np.median(warm, axis=0), np.median(cold, axis=0)

    rows = [
        ["`import histeq` (wall, minus bare `python -c pass`)", f"{import_s:.3f}", f"median of {n}"],
        [
            "first `equalize` call, warm numba cache",
            f"{warm[1]:.3f}",
            f"median of {n}; second call {warm[2] * 1e3:.2f} ms",
        ],
        [
            "first `equalize` call, cold numba cache",
            f"{cold[1]:.3f}",
            f"median of {n_cold}; empty NUMBA_CACHE_DIR each run",
        ],
        ["  (in-process `import numpy, histeq` in those runs)", f"{warm[0]:.3f}", "warm-cache runs"],
    ]
    return markdown_table(["startup (64x64 uint8, fresh process)", "seconds", "notes"], rows)


# ------------------------------------------------------------ machine capacity


@numba.njit(nogil=True)
def _spin(m):
    # m dependent multiply-adds: pure computation, no memory traffic
    x = 0.0
    for _ in range(m):
        x = x * 0.9999999 + 1.0
    return x


def parallel_capacity(m: int = 20_000_000) -> float:
    """How many of histeq's threads really run at once, right now (ideal: all).

    Shared and virtual machines sometimes give a process fewer cores than it
    sees; threaded code then slows down, so histeq's ratios are only
    meaningful when this is close to the thread count.
    """
    from concurrent.futures import ThreadPoolExecutor

    threads = _threads.get_num_threads()
    _spin(10)  # compile

    def best(k: int) -> float:
        times = []
        with ThreadPoolExecutor(k) as pool:
            for _ in range(5):
                t0 = time.perf_counter()
                list(pool.map(_spin, [m] * k))
                times.append(time.perf_counter() - t0)
        return min(times)

    return threads * best(1) / best(threads)


def capacity_line(when: str) -> str:
    threads = _threads.get_num_threads()
    capacity = parallel_capacity()
    line = f"parallel capacity {when}: {capacity:.2f} of {threads} histeq threads run at once"
    if capacity < 0.8 * threads:
        line += (
            " -- WARNING: the machine is giving this process fewer cores than it has threads;"
            " threaded timings (histeq, OpenCV) are unreliable"
        )
    return line


# ------------------------------------------------------------------------ main


_THREADING_ENV = ("HISTEQ_NUM_THREADS", "OMP_NUM_THREADS", "OPENCV_FOR_THREADS_NUM")


def _source_state() -> str:
    """The commit of the histeq checkout and whether its tree is edited."""
    root = os.path.dirname(os.path.abspath(histeq.__file__))
    try:
        run = lambda *cmd: subprocess.run(  # noqa: E731
            ["git", *cmd], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = run("status", "--porcelain", "--", ".")
        return f"git {run('rev-parse', '--short', 'HEAD')}{' + uncommitted changes' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"


def header(args: argparse.Namespace) -> str:
    env = ", ".join(f"{k}={os.environ[k]}" for k in _THREADING_ENV if k in os.environ) or "none set"
    lines = [
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.system()})",
        f"histeq {histeq.__version__} ({_source_state()}), numpy {np.__version__}, "
        f"numba {numba.__version__}, {_threads.get_num_threads()} histeq threads",
        f"threading environment variables: {env}",
        f"peers: opencv {cv2.__version__} ({cv2.getNumThreads()} threads), scikit-image {skimage.__version__}, "
        f"Pillow {PIL.__version__}",
        f"repeat {args.repeat}, {'quick (1080p)' if args.quick else 'full (4K)'}, "
        f"{'back to back' if args.back_to_back else 'interleaved'}, seed {SEED}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=None, help="timed repetitions (default 15; 5 with --quick)")
    parser.add_argument("--quick", action="store_true", help="1080p images and 5 repetitions (smoke test)")
    parser.add_argument(
        "--back-to-back",
        action="store_true",
        help="time each contender in a tight loop instead of interleaved (hot thread pools; for diagnosis)",
    )
    parser.add_argument("--no-startup", action="store_true", help="skip the fresh-subprocess startup timings")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 5 if args.quick else 15
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    print(header(args))
    print(capacity_line("before"))
    cases = build_cases(args.quick)

    print("\n## Correctness checks\n")
    failures = []
    for case in cases:
        for check in case.checks:
            try:
                ok, detail = check.run()
            except Exception as exc:  # a crash is a failed check, reported, not fatal
                ok, detail = False, f"raised {type(exc).__name__}: {exc}"
            print(f"- {'ok  ' if ok else 'FAIL'} {case.title}: {check.label} ({detail})")
            if not ok:
                failures.append(f"{case.title}: {check.label}: {detail}")

    mode = "back to back" if args.back_to_back else "interleaved"
    print(f"\n## Timings ({mode}; median ms per call; ratio = histeq / peer)\n", flush=True)
    rows = []
    for case in cases:
        time_case(case, args.repeat, args.back_to_back)
        rows += [comparison_row(case, comp) for comp in case.comparisons]
    print(
        markdown_table(
            ["case", "histeq", "peer", "histeq ms", "peer ms", "ratio", "spread (p25..p75)", "target", "verdict"],
            rows,
        )
    )

    print("\n" + capacity_line("after timings"))

    if not args.no_startup:
        print("\n## Startup\n", flush=True)
        print(startup_report(args.quick))

    if failures:
        print(f"\n{len(failures)} CORRECTNESS CHECK(S) FAILED:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("\nall correctness checks ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
