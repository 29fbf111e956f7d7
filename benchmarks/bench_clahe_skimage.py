"""histeq's scikit-image CLAHE against ``skimage.exposure.equalize_adapthist``.

Usage::

    python benchmarks/bench_clahe_skimage.py            # 3840x2160 uint8 and 128^3 uint16, 7 repetitions
    python benchmarks/bench_clahe_skimage.py --quick    # 1920x1080 and 64^3, 3 repetitions
    python benchmarks/bench_clahe_skimage.py --repeat 15

Both run in one process, interleaved in rotating order, on the images of
``bench_equalize.py`` (low-contrast structure plus noise) with default
arguments. Before timing, the outputs are checked to be identical; a mismatch
makes the script exit with status 1. :func:`build_cases` returns the cases for
merging into a larger CLAHE benchmark.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from skimage import exposure

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_equalize import (
    SEED,
    Case,
    Check,
    Comparison,
    Contender,
    check_equal,
    make_image,
    time_case,
)

from histeq._clahe_skimage import skimage_clahe


def make_volume(rng: np.random.Generator, side: int, dtype) -> np.ndarray:
    """A ``side``^3 volume: the 2-D test image of ``side * side`` rows cut into slices."""
    return make_image(rng, side * side, side, dtype).reshape(side, side, side)


def clahe_case(title: str, image: np.ndarray) -> Case:
    """histeq's ``skimage_clahe`` and scikit-image on ``image``, default arguments."""
    ours = Contender("histeq skimage_clahe", lambda: skimage_clahe(image))
    peer = Contender("skimage equalize_adapthist", lambda: exposure.equalize_adapthist(image))
    check = Check("identical to scikit-image", lambda: check_equal(ours.fn(), peer.fn()))
    return Case(title, [ours, peer], [Comparison(ours.name, peer.name, target=0.1)], [check])


def build_cases(quick: bool) -> list[Case]:
    rng = np.random.default_rng(SEED)
    height, width, side = (1080, 1920, 64) if quick else (2160, 3840, 128)
    return [
        clahe_case(f"CLAHE uint8 {width}x{height}", make_image(rng, height, width, np.uint8)),
        clahe_case(f"CLAHE uint16 {side}^3", make_volume(rng, side, np.uint16)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1080p and 64^3 images, 3 repetitions")
    parser.add_argument("--repeat", type=int, help="timed repetitions per contender (default 7, quick 3)")
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 7)
    failed = False
    for case in build_cases(args.quick):
        print(f"## {case.title}")
        for check in case.checks:
            ok, detail = check.run()
            failed |= not ok
            print(f"  {'ok' if ok else 'FAIL'}: {check.label} ({detail})")
        time_case(case, repeat)
        for c in case.contenders:
            print(f"  {c.name:28s} median {c.median() * 1e3:9.1f} ms  (min {min(c.times) * 1e3:.1f})")
        for comp in case.comparisons:
            ratio = case.contender(comp.ours).median() / case.contender(comp.peer).median()
            verdict = "" if comp.target is None else (" (target met)" if ratio <= comp.target else " (TARGET MISSED)")
            print(f"  histeq / scikit-image = {ratio:.4f}: {1 / ratio:.1f}x faster{verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
