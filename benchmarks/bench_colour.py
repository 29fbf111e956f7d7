"""Benchmark histeq's luminance round trip against OpenCV's on a 1920x1080 RGB photo.

Run from the repository root (needs opencv-python-headless and scikit-image)::

    python benchmarks/bench_colour.py               # 25 repetitions
    python benchmarks/bench_colour.py --repeat 60
    python benchmarks/bench_colour.py --threads 1   # both libraries on one thread

For ``"ycrcb"`` and ``"lab"`` (uint8 RGB, 1920x1080: scikit-image's ``coffee``
scaled up and darkened, a photo to equalize):

- histeq: ``lum = split_luminance(image, space)``, ``histeq.equalize(lum.plane)``
  (cv2.equalizeHist's numbers), ``lum.merge(equalized, out)`` into a new array;
- OpenCV: ``cvtColor`` to the space, ``equalizeHist`` of channel 0 written
  back into the converted image, ``cvtColor`` back.

The outputs are checked bit for bit first (exit status 1 if they differ).
Every repetition runs each contender once in a rotating order (interleaved, so
machine noise hits all alike), after one warm-up call each. Prints medians in
ms, the ratio histeq / OpenCV (below 1: histeq is faster), the 25th..75th
percentiles of the per-repetition ratios, the target (0.5) and the stages on
their own (medians of the same kind): histeq's split, equalize and merge,
cv2's two conversions. Ratios are what is stable; absolute times swing with
the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import cv2
import numpy as np
from skimage import data

import histeq
from histeq._core.colour_spaces import split_luminance
from histeq.backends import get_num_threads, set_num_threads

TARGET = 0.5
CODES = {
    "ycrcb": (cv2.COLOR_RGB2YCrCb, cv2.COLOR_YCrCb2RGB),
    "lab": (cv2.COLOR_RGB2Lab, cv2.COLOR_Lab2RGB),
}


def make_photo() -> np.ndarray:
    """scikit-image's coffee, 1920x1080, darkened to 60%: a photo that needs equalizing."""
    photo = cv2.resize(data.coffee(), (1920, 1080), interpolation=cv2.INTER_LINEAR)
    return (photo * 0.6).astype(np.uint8)


def histeq_round_trip(image: np.ndarray, space: str) -> np.ndarray:
    lum = split_luminance(image, space)
    out = np.empty_like(image)
    lum.merge(histeq.equalize(lum.plane), out)
    return out


def cv2_round_trip(image: np.ndarray, space: str) -> np.ndarray:
    forward, back = CODES[space]
    converted = cv2.cvtColor(image, forward)
    converted[..., 0] = cv2.equalizeHist(converted[..., 0])
    return cv2.cvtColor(converted, back)


def stage_calls(image: np.ndarray, space: str) -> dict[str, Callable[[], object]]:
    """Each stage of both round trips on its own."""
    forward, back = CODES[space]
    lum = split_luminance(image, space)
    plane = histeq.equalize(lum.plane)
    out = np.empty_like(image)
    converted = cv2.cvtColor(image, forward)
    return {
        "split": lambda: split_luminance(image, space),
        "equalize": lambda: histeq.equalize(lum.plane),
        "merge": lambda: lum.merge(plane, out),
        "forward": lambda: cv2.cvtColor(image, forward),
        "back": lambda: cv2.cvtColor(converted, back),
    }


def timed(contenders: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Seconds of every call, interleaved in a rotating order after a warm-up call each."""
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for name in names:
        contenders[name]()
    for r in range(repeat):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--threads", type=int, default=None, help="threads of both libraries (default: theirs)")
    args = parser.parse_args()
    if args.threads is not None:
        set_num_threads(args.threads)
        cv2.setNumThreads(args.threads)
    image = make_photo()
    print(f"1920x1080 RGB uint8; histeq threads {get_num_threads()}, cv2 threads {cv2.getNumThreads()}")
    ok = True
    rows = []
    for space in CODES:
        same = np.array_equal(histeq_round_trip(image, space), cv2_round_trip(image, space))
        ok &= same
        times = timed(
            {"histeq": lambda s=space: histeq_round_trip(image, s), "cv2": lambda s=space: cv2_round_trip(image, s)},
            args.repeat,
        )
        ratios = [h / c for h, c in zip(times["histeq"], times["cv2"])]
        quartiles = statistics.quantiles(ratios, n=4)
        h, c = statistics.median(times["histeq"]), statistics.median(times["cv2"])
        verdict = ("met" if h / c <= TARGET else "missed") + ("" if same else ", FAIL: outputs differ")
        rows.append(
            f"| {space} | {h * 1e3:.2f} | {c * 1e3:.2f} | {h / c:.2f} | {quartiles[0]:.2f}..{quartiles[2]:.2f} "
            f"| {TARGET} | {verdict} |"
        )
    print("| space | histeq ms | cv2 ms | ratio | spread | target | verdict |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))

    print("\nStages (medians, ms):")
    print("| space | split | equalize | merge | cv2 forward | cv2 back |")
    print("|---|---|---|---|---|---|")
    for space in CODES:
        stages = timed(stage_calls(image, space), args.repeat)
        medians = [statistics.median(stages[k]) * 1e3 for k in ("split", "equalize", "merge", "forward", "back")]
        print(f"| {space} | " + " | ".join(f"{m:.2f}" for m in medians) + " |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
