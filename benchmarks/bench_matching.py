"""Benchmark ``histeq.match_histograms`` (both methods) against
``skimage.exposure.match_histograms``.

Run from the repository root::

    python benchmarks/bench_matching.py              # 3840x2160, 15 repetitions
    python benchmarks/bench_matching.py --repeat 30

Images: uint8 and uint16 3840x2160 from ``bench_equalize.make_image``; the
reference is a different image of the same kind (another seed). Each contender
is called once first (compilation, caches), then every repetition runs each
contender once in a rotating order (interleaved, so machine noise hits all
alike). Prints medians in ms and the ratios histeq / scikit-image, and checks
that ``method="skimage"`` equals scikit-image bit for bit (exit status 1 if not).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from skimage.exposure import match_histograms as skimage_match

sys.path.insert(0, str(Path(__file__).parent))
import histeq
from _timing import interleaved
from bench_equalize import make_image


def contenders(image: np.ndarray, reference: np.ndarray) -> dict:
    return {
        "histeq": lambda: histeq.match_histograms(image, reference),
        "histeq skimage": lambda: histeq.match_histograms(image, reference, method="skimage"),
        "scikit-image": lambda: skimage_match(image, reference),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    ok = True
    print("| dtype | histeq ms | histeq skimage ms | scikit-image ms | histeq / sk | histeq skimage / sk |")
    print("|---|---|---|---|---|---|")
    for dtype in (np.uint8, np.uint16):
        image = make_image(np.random.default_rng(1), 2160, 3840, dtype)
        reference = make_image(np.random.default_rng(2), 2160, 3840, dtype)
        calls = contenders(image, reference)
        same = np.array_equal(calls["histeq skimage"](), calls["scikit-image"]())
        ok &= same
        m = interleaved(calls, args.repeat)
        sk = m["scikit-image"]
        print(
            f"| {np.dtype(dtype).name} | {m['histeq'] * 1e3:.1f} | {m['histeq skimage'] * 1e3:.1f} | "
            f"{sk * 1e3:.1f} | {m['histeq'] / sk:.3f} | {m['histeq skimage'] / sk:.3f} |"
            + ("" if same else " FAIL: skimage method differs")
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
