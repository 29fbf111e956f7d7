"""Benchmark histogram specification on a 3840x2160 uint8 image.

Run from the repository root::

    python benchmarks/bench_specification.py            # 7 repetitions
    python benchmarks/bench_specification.py --repeat 15

- ``histeq.exact_specification`` (default: 6 filters, flat target) against one
  ``np.argsort`` of as many int64 keys (random 53-bit keys, as many bits as
  the packed key of a uint8 image), interleaved; the target is a ratio of at
  most 3.
- Its peak memory (``tracemalloc``: numpy reports its allocations) as a
  multiple of the image's pixel count in int64 keys (8 bytes a pixel); the
  target is at most 3. Also with a mask of half the pixels, and for an RGB
  image with ``channel_axis`` (per pixel of the whole RGB image).
- ``equalize`` with ``method="matlab"``, ``"bbhe"``, ``"dsihe"`` and a gaussian
  ``target`` against the default method, for reference.

Medians in milliseconds; ratios are what is stable on a shared machine.
"""

from __future__ import annotations

import argparse
import tracemalloc
from collections.abc import Callable

import numpy as np

import histeq
from _timing import interleaved


def make_image(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A smooth low-contrast uint8 image with noise (the kind one equalizes)."""
    y, x = np.mgrid[0:height, 0:width]
    base = 100 + 40 * np.sin(x / 300) + 30 * np.cos(y / 200) + rng.normal(0, 8, (height, width))
    return np.clip(base, 0, 255).astype(np.uint8)


def report(title: str, medians: dict[str, float], reference: str) -> None:
    print(f"\n{title}\n| contender | median ms | ratio to {reference} |\n|---|---|---|")
    for name, seconds in medians.items():
        print(f"| {name} | {seconds * 1e3:.1f} | {seconds / medians[reference]:.2f} |")


def peak_memory(run: Callable[[], np.ndarray], pixels: int) -> float:
    """Peak traced memory of ``run`` beyond its result, in int64 keys per pixel."""
    tracemalloc.start()
    result = run()
    peak = tracemalloc.get_traced_memory()[1] - result.nbytes
    tracemalloc.stop()
    return peak / (8 * pixels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    image = make_image(rng, 2160, 3840)
    keys = rng.integers(0, 2**53, image.size)
    medians = interleaved(
        {"exact_specification": lambda: histeq.exact_specification(image), "np.argsort": lambda: np.argsort(keys)},
        args.repeat,
    )
    report("exact specification, 3840x2160 uint8 (target: ratio <= 3)", medians, "np.argsort")
    memory = peak_memory(lambda: histeq.exact_specification(image), image.size)
    print(f"peak memory beyond the output: {memory:.2f}x the image in int64 keys (target: <= 3)")
    mask = rng.random(image.shape) < 0.5
    memory = peak_memory(lambda: histeq.exact_specification(image, mask=mask), image.size)
    print(f"  with a mask of half the pixels: {memory:.2f}x")
    rgb = np.stack([image, image[::-1], image[:, ::-1]], axis=-1)
    memory = peak_memory(lambda: histeq.exact_specification(rgb, channel_axis=-1), rgb.size)
    print(f"  RGB with channel_axis=-1 (channels one at a time): {memory:.2f}x")
    medians = interleaved(
        {
            "equalize (opencv)": lambda: histeq.equalize(image),
            "matlab": lambda: histeq.equalize(image, method="matlab"),
            "bbhe": lambda: histeq.equalize(image, method="bbhe"),
            "dsihe": lambda: histeq.equalize(image, method="dsihe"),
            "target=gaussian": lambda: histeq.equalize(image, target="gaussian"),
        },
        args.repeat,
    )
    report("equalize methods, 3840x2160 uint8", medians, "equalize (opencv)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
