"""Benchmark the image tools' methods: each global one against histeq's
``"opencv"`` method, and ``local_equalize`` against libvips' ``hist_local``.

Run from the repository root::

    python benchmarks/bench_peers.py              # 3840x2160, 15 repetitions
    python benchmarks/bench_peers.py --quick      # 1920x1080, 5 repetitions

One process, one seeded low-contrast structured image (a gradient with soft
blobs and noise in a narrow band), contenders timed interleaved
(``_timing.interleaved``). Before timing, the outputs that a peer in this
process can check are checked bit for bit (``vips`` and ``local_equalize``
against pyvips); a failure exits with status 1.

Rows and targets (the ratio is histeq's median time over the other's):

- ``equalize(method=M)`` / ``equalize(method="opencv")`` on uint8 grey, for
  M in imagej, imagej-classic, imagemagick, vips, ffmpeg: at most 1.2 (they
  differ only in the plan); ``ffmpeg`` on an RGB frame (one luma histogram,
  RGB scaled) against ``opencv`` per channel, for information;
- ``vips`` against pyvips' ``hist_equal`` (numpy in and out), for information;
- ``local_equalize(window=31)`` / pyvips ``hist_local(31, 31)``: at most 0.5;
  with ``max_slope=3`` for information.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import histeq
from histeq.local import local_equalize

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _timing import interleaved

GLOBAL_METHODS = ("imagej", "imagej-classic", "imagemagick", "vips", "ffmpeg")
GLOBAL_TARGET = 1.2
LOCAL_TARGET = 0.5
WINDOW = 31


def test_image(shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A low-contrast uint8 image: gradient, soft blobs, gaussian noise, in 60..140."""
    rng = np.random.default_rng(seed)
    rows, cols = shape
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float32)
    field = x / cols + 0.5 * y / rows
    for _ in range(12):
        cy, cx, radius = rng.uniform(0, rows), rng.uniform(0, cols), rng.uniform(0.05, 0.2) * rows
        field += rng.uniform(-0.6, 0.6) * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * radius**2))
    field = (field - field.min()) / (field.max() - field.min())
    noisy = 60 + 80 * field + rng.normal(0, 3, shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def vips_call(pyvips, operation: str, *args: object):
    return lambda image: getattr(pyvips.Image.new_from_array(image), operation)(*args).numpy()


def check(name: str, ours: np.ndarray, theirs: np.ndarray) -> bool:
    same = ours.shape == theirs.shape and np.array_equal(ours, theirs)
    print(f"{'ok  ' if same else 'FAIL'} {name}")
    return same


def row(name: str, times: dict[str, float], ours: str, theirs: str, target: float | None) -> None:
    ratio = times[ours] / times[theirs]
    verdict = "" if target is None else ("met" if ratio <= target else "MISSED")
    print(f"{name:44s} {times[ours] * 1e3:9.2f} ms {times[theirs] * 1e3:9.2f} ms {ratio:7.2f}  "
          f"{'' if target is None else f'<= {target}'} {verdict}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="1920x1080, 5 repetitions")
    args = parser.parse_args()
    shape = (1080, 1920) if args.quick else (2160, 3840)
    repeat = 5 if args.quick else args.repeat
    grey = test_image(shape)
    frame = np.stack([test_image(shape, seed) for seed in (1, 2, 3)], axis=-1)
    print(f"image {shape[1]}x{shape[0]}, {repeat} repetitions, {histeq.backends.get_num_threads()} threads")

    try:
        import pyvips
    except ImportError:
        pyvips = None
        print("pyvips missing: no libvips rows or checks")
    good = True
    if pyvips is not None:
        good &= check(
            "vips == pyvips hist_equal", histeq.equalize(grey, method="vips"), vips_call(pyvips, "hist_equal")(grey)
        )
        for slope in (0, 3):
            ours = local_equalize(grey, window=WINDOW, max_slope=slope)
            theirs = pyvips.Image.new_from_array(grey).hist_local(WINDOW, WINDOW, max_slope=slope).numpy()
            good &= check(f"local_equalize max_slope={slope} == pyvips hist_local", ours, theirs)

    contenders = {name: (lambda m=name: histeq.equalize(grey, method=m)) for name in ("opencv", *GLOBAL_METHODS)}
    contenders["ffmpeg rgb"] = lambda: histeq.equalize(frame, method="ffmpeg", channel_axis=-1)
    contenders["opencv rgb"] = lambda: histeq.equalize(frame, channel_axis=-1)
    if pyvips is not None:
        contenders["pyvips hist_equal"] = lambda: vips_call(pyvips, "hist_equal")(grey)
    times = interleaved(contenders, repeat)
    print(f"\n{'global (uint8 grey)':44s} {'histeq':>12s} {'other':>12s} {'ratio':>7s}")
    for name in GLOBAL_METHODS:
        row(f"{name} / opencv", times, name, "opencv", GLOBAL_TARGET)
    row("ffmpeg / opencv (RGB frame)", times, "ffmpeg rgb", "opencv rgb", None)
    if pyvips is not None:
        row("vips / pyvips hist_equal", times, "vips", "pyvips hist_equal", None)

    if pyvips is not None:
        local = {
            "histeq": lambda: local_equalize(grey, window=WINDOW),
            "pyvips": lambda: pyvips.Image.new_from_array(grey).hist_local(WINDOW, WINDOW).numpy(),
            "histeq clipped": lambda: local_equalize(grey, window=WINDOW, max_slope=3),
            "pyvips clipped": lambda: pyvips.Image.new_from_array(grey).hist_local(WINDOW, WINDOW, max_slope=3).numpy(),
        }
        times = interleaved(local, max(3, repeat // 3))
        print(f"\n{'local (uint8 grey, 31x31 window)':44s} {'histeq':>12s} {'pyvips':>12s} {'ratio':>7s}")
        row("local_equalize / hist_local", times, "histeq", "pyvips", LOCAL_TARGET)
        row("local_equalize / hist_local, max_slope=3", times, "histeq clipped", "pyvips clipped", None)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
