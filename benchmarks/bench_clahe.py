"""Benchmark ``histeq.clahe`` against OpenCV and scikit-image, interleaved.

Run from the repository root (needs ``pip install -e .[bench]``)::

    python benchmarks/bench_clahe.py            # 4K images, 256^3 volume
    python benchmarks/bench_clahe.py --quick    # 1080p images, 128^3 volume

Each case first checks that the outputs agree where histeq claims exactness
(``method="opencv"`` == ``cv2.createCLAHE(...).apply`` on 2-D uint8/uint16,
``method="skimage"`` == ``skimage.exposure.equalize_adapthist``), then times
the contenders interleaved: every repetition runs each contender once, in a
rotating order, so machine noise hits them alike. It prints medians and the
ratio histeq / peer (below 1: histeq is faster), and for the volume the peak
memory histeq allocates beyond its input and output (numpy allocations, as
``tracemalloc`` sees them), as a multiple of the input's size.
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc

import cv2
import numpy as np
from skimage import exposure

import histeq
from _timing import interleaved
from bench_equalize import SEED, make_image


def report(title: str, medians: dict[str, float], check: str) -> None:
    print(f"\n## {title}  [{check}]")
    ours = medians["histeq"]
    for name, seconds in medians.items():
        ratio = "" if name.startswith("histeq") else f"  histeq/{name} = {ours / seconds:.3f}"
        print(f"  {name:<22} {seconds * 1e3:10.2f} ms{ratio}")


def check(a: np.ndarray, b: np.ndarray) -> str:
    return "exact" if np.array_equal(a, b) else f"MISMATCH ({np.count_nonzero(a != b)} pixels)"


def image_cases(height: int, width: int, repeat: int) -> None:
    rng = np.random.default_rng(SEED)
    full_range = rng.integers(0, 65536, (height, width)).astype(np.uint16)
    for title, image in (
        ("uint8, 8x8 tiles, clip 2", make_image(rng, height, width, np.uint8)),
        ("uint16 (14000-level band), 8x8 tiles, clip 2", make_image(rng, height, width, np.uint16)),
        ("uint16 full-range noise, 8x8 tiles, clip 2", full_range),
    ):
        engine = cv2.createCLAHE(2.0, (8, 8))
        agree = check(histeq.clahe(image, clip_limit=2.0), engine.apply(image))
        medians = interleaved(
            {
                "histeq": lambda image=image: histeq.clahe(image, clip_limit=2.0),
                "cv2": lambda image=image, engine=engine: engine.apply(image),
            },
            repeat,
        )
        report(f"{title}, {width}x{height}", medians, agree)
    image = make_image(rng, height, width, np.uint8)
    agree = check(histeq.clahe(image, method="skimage"), exposure.equalize_adapthist(image))
    medians = interleaved(
        {
            "histeq": lambda: histeq.clahe(image, method="skimage"),
            "skimage": lambda: exposure.equalize_adapthist(image),
        },
        max(3, repeat // 3),
    )
    report(f"uint8 {width}x{height}, method='skimage', scikit-image's defaults", medians, agree)


def volume_case(side: int, repeat: int) -> None:
    rng = np.random.default_rng(SEED)
    planes = [make_image(rng, side, side, np.uint16) for _ in range(4)]
    volume = np.stack([planes[z * 4 // side] for z in range(side)])
    volume += rng.integers(0, 64, volume.shape, dtype=np.uint16)
    kernel = side // 8

    def ours() -> np.ndarray:
        return histeq.clahe(volume, clip_limit=2.0, tile_grid=8)

    def theirs() -> np.ndarray:
        return exposure.equalize_adapthist(volume, kernel_size=kernel, clip_limit=0.01)

    def ours_skimage() -> np.ndarray:
        return histeq.clahe(volume, method="skimage", kernel_size=kernel, clip_limit=0.01)

    agree = "method='skimage' " + check(ours_skimage(), theirs())
    contenders = {"histeq": ours, "skimage": theirs, "histeq-skimage-mode": ours_skimage}
    medians = interleaved(contenders, repeat)
    report(f"3-D uint16 {side}^3, 8x8x8 tiles (histeq: method='opencv')", medians, agree)
    print(f"  histeq-skimage-mode/skimage = {medians['histeq-skimage-mode'] / medians['skimage']:.3f}")
    tracemalloc.start()
    ours()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    extra = peak - volume.nbytes  # the output is the input's size
    print(f"  histeq peak extra memory: {extra / volume.nbytes:.2f}x the input ({extra / 2**20:.1f} MiB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1080p images and a 128^3 volume")
    parser.add_argument("--repeat", type=int, default=15, help="repetitions of the 2-D cases (default 15)")
    args = parser.parse_args(argv)
    height, width = (1080, 1920) if args.quick else (2160, 3840)
    print(f"histeq {histeq.__version__}, OpenCV {cv2.__version__}, {cv2.getNumThreads()} OpenCV threads")
    image_cases(height, width, args.repeat)
    volume_case(128 if args.quick else 256, 3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
