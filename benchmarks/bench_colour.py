"""Benchmark histeq's luminance round trip against OpenCV's on a 1920x1080 RGB photo.

Run from the repository root (needs opencv-python-headless and scikit-image)::

    python benchmarks/bench_colour.py               # 25 repetitions
    python benchmarks/bench_colour.py --repeat 60
    python benchmarks/bench_colour.py --threads 1   # both libraries on one thread

For ``"ycrcb"`` and ``"lab"`` (uint8 RGB, 1920x1080: scikit-image's ``coffee``
scaled up and darkened, a photo to equalize):

- histeq: ``histeq.equalize(image, channel_axis=-1, color=space)``, the call a
  user makes (a new array each time);
- OpenCV: ``cvtColor`` to the space, ``equalizeHist`` of channel 0 written
  back into the converted image, ``cvtColor`` back.

The outputs are checked bit for bit first (exit status 1 if they differ).
Every repetition runs each contender once in a rotating order (interleaved, so
machine noise hits all alike), after one warm-up call each. Prints medians in
ms, the ratio histeq / OpenCV (below 1: histeq is faster), the 25th..75th
percentiles of the per-repetition ratios and the target (0.5).

Then the stages on their own (medians; each repetition runs one round trip
of each library stage by stage, timing every stage): histeq's two passes
(``count_luminance``: the luminance computed and counted; the plan;
``.map``: the LUT and the conversion back) and the old four-step path
(``split_luminance``, ``equalize`` of the plane, ``merge``), and cv2's
forward conversion, ``equalizeHist`` (with the channel's copies in and out)
and back conversion. Ratios are what is stable; absolute times swing with
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
from histeq._core.binning import BYTE_LEVELS
from histeq._core.colour_spaces import count_luminance, split_luminance
from histeq._core.plans import opencv
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
    return histeq.equalize(image, channel_axis=-1, color=space)


def cv2_round_trip(image: np.ndarray, space: str) -> np.ndarray:
    forward, back = CODES[space]
    converted = cv2.cvtColor(image, forward)
    converted[..., 0] = cv2.equalizeHist(converted[..., 0])
    return cv2.cvtColor(converted, back)


def stage_rounds(image: np.ndarray, space: str, repeat: int) -> dict[str, float]:
    """Median ms of every stage: each repetition runs histeq's two passes, its
    four-step path and cv2's three steps, stage by stage, in a rotating order."""
    forward, back = CODES[space]
    uint8 = np.dtype(np.uint8)

    def two_passes(clock: Callable[[str], None]) -> None:
        out = np.empty_like(image)
        clock("")
        counted = count_luminance(image, space, out)
        assert counted is not None
        clock("pass 1")
        lut = opencv(counted.counts, BYTE_LEVELS, uint8)
        clock("plan")
        counted.map(lut)
        clock("pass 2")

    def four_steps(clock: Callable[[str], None]) -> None:
        out = np.empty_like(image)
        clock("")
        lum = split_luminance(image, space)
        clock("split")
        plane = histeq.equalize(lum.plane)
        clock("equalize")
        lum.merge(plane, out)
        clock("merge")

    def opencv_steps(clock: Callable[[str], None]) -> None:
        clock("")
        converted = cv2.cvtColor(image, forward)
        clock("cv2 forward")
        converted[..., 0] = cv2.equalizeHist(converted[..., 0])
        clock("cv2 equalizeHist")
        cv2.cvtColor(converted, back)
        clock("cv2 back")

    runs = [two_passes, four_steps, opencv_steps]
    times: dict[str, list[float]] = {}
    for r in range(repeat + 1):  # the first round warms up
        for run in runs[r % 3 :] + runs[: r % 3]:
            last = [time.perf_counter()]

            def clock(stage: str, last: list[float] = last, warm: bool = r > 0) -> None:
                now = time.perf_counter()
                if stage and warm:
                    times.setdefault(stage, []).append(now - last[0])
                last[0] = now

            run(clock)
    return {stage: statistics.median(values) * 1e3 for stage, values in times.items()}


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

    stages = {space: stage_rounds(image, space, args.repeat) for space in CODES}
    columns = ("pass 1", "plan", "pass 2", "split", "equalize", "merge", "cv2 forward", "cv2 equalizeHist", "cv2 back")
    print("\nStages (medians, ms): histeq's two passes, its four-step path, cv2's three steps")
    print("| space | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for space in CODES:
        print(f"| {space} | " + " | ".join(f"{stages[space][c]:.2f}" for c in columns) + " |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
