"""Benchmark 16-bit colour PNG: histeq's writer and reader (libpng through
imagecodecs) against OpenCV's ``cv2.imencode`` and ``cv2.imdecode``.

Run from the repository root::

    python benchmarks/bench_png16.py              # 1920x1080 RGB, 9 repetitions
    python benchmarks/bench_png16.py --repeat 15

Images: scikit-image's ``astronaut`` resized to 1920x1080 and scaled to 16 bits
(x 257: a photo), and the same with 8 bits of noise added (little to
compress). Everything happens in memory; the times are interleaved medians.
Writing: each encodes the image (its own settings: histeq zlib level 1,
run-length, Paeth; OpenCV level 1, run-length, Sub). Reading: each decodes the
file histeq wrote. Prints ms, file sizes and the ratios histeq / OpenCV, and
checks that each reads the other's file to the same pixels (exit status 1 if
not).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data

sys.path.insert(0, str(Path(__file__).parent))
from _timing import interleaved
from histeq.io import encode_image, read_image


def images() -> dict[str, np.ndarray]:
    """The two 1920x1080 RGB uint16 images: a photo, and the photo with 8 bits of noise."""
    photo = np.asarray(Image.fromarray(data.astronaut()).resize((1920, 1080))).astype(np.uint16) * 257
    noisy = photo // 2 + np.random.default_rng(0).integers(0, 256, photo.shape).astype(np.uint16)
    return {"photo": photo, "photo + noise": noisy}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    ok = True
    print(
        "| image | write: histeq ms (MB) | OpenCV ms (MB) | histeq / OpenCV "
        "| read: histeq ms | OpenCV ms | histeq / OpenCV |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, image in images().items():
        bgr = np.ascontiguousarray(image[..., ::-1])
        ours = encode_image(image, "PNG")
        theirs = cv2.imencode(".png", bgr)[1].tobytes()
        buffer = np.frombuffer(ours, np.uint8)
        same = np.array_equal(cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED), bgr)
        same &= np.array_equal(read_image(io.BytesIO(theirs)), image)
        ok &= same
        write = interleaved(
            {
                "histeq": lambda image=image: encode_image(image, "PNG"),
                "opencv": lambda bgr=bgr: cv2.imencode(".png", bgr),
            },
            args.repeat,
        )
        read = interleaved(
            {
                "histeq": lambda ours=ours: read_image(io.BytesIO(ours)),
                "opencv": lambda buffer=buffer: cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED),
            },
            args.repeat,
        )
        print(
            f"| {name} | {write['histeq'] * 1e3:.0f} ({len(ours) / 1e6:.1f}) "
            f"| {write['opencv'] * 1e3:.0f} ({len(theirs) / 1e6:.1f}) | {write['histeq'] / write['opencv']:.2f} "
            f"| {read['histeq'] * 1e3:.0f} | {read['opencv'] * 1e3:.0f} | {read['histeq'] / read['opencv']:.2f} |"
            + ("" if same else " FAIL: the pixels differ")
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
