"""Benchmark writing 16-bit colour PNG: histeq's encoder against pypng (which
histeq used before) and OpenCV's ``cv2.imencode``.

Run from the repository root::

    python benchmarks/bench_png16.py              # 1920x1080 RGB, 7 repetitions
    python benchmarks/bench_png16.py --repeat 15

Images: scikit-image's ``astronaut`` resized to 1920x1080 and scaled to 16 bits
(a photo), and the same with 8 bits of noise added (little to compress).
Every contender encodes to memory; the times are interleaved medians. Prints
ms, file sizes and the ratios histeq / peer, and checks that OpenCV decodes
histeq's file to the same pixels (exit status 1 if not).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import cv2
import numpy as np
import png
from PIL import Image
from skimage import data

sys.path.insert(0, str(Path(__file__).parent))
from _timing import interleaved
from histeq.io import encode_image


def contenders(image: np.ndarray) -> dict:
    height, width, _ = image.shape

    def pypng() -> bytes:
        buffer = io.BytesIO()
        png.Writer(width, height, greyscale=False, bitdepth=16).write(buffer, image.reshape(height, -1))
        return buffer.getvalue()

    return {
        "histeq": lambda: encode_image(image, "PNG"),
        "pypng": pypng,
        "opencv": lambda: cv2.imencode(".png", np.ascontiguousarray(image[..., ::-1]))[1].tobytes(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    photo = np.asarray(Image.fromarray(data.astronaut()).resize((1920, 1080))).astype(np.uint16) * 257
    noisy = photo // 2 + np.random.default_rng(0).integers(0, 256, photo.shape).astype(np.uint16)
    ok = True
    print("| image | histeq ms (MB) | pypng ms (MB) | OpenCV ms (MB) | histeq / pypng | histeq / OpenCV |")
    print("|---|---|---|---|---|---|")
    for name, image in (("photo", photo), ("photo + noise", noisy)):
        calls = contenders(image)
        sizes = {contender: len(call()) / 1e6 for contender, call in calls.items()}
        decoded = cv2.imdecode(np.frombuffer(calls["histeq"](), np.uint8), cv2.IMREAD_UNCHANGED)
        same = np.array_equal(decoded[..., ::-1], image)
        ok &= same
        m = interleaved(calls, args.repeat)
        print(
            f"| {name} | {m['histeq'] * 1e3:.0f} ({sizes['histeq']:.1f}) | {m['pypng'] * 1e3:.0f} "
            f"({sizes['pypng']:.1f}) | {m['opencv'] * 1e3:.0f} ({sizes['opencv']:.1f}) | "
            f"{m['histeq'] / m['pypng']:.2f} | {m['histeq'] / m['opencv']:.2f} |"
            + ("" if same else " FAIL: OpenCV decodes other pixels")
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
