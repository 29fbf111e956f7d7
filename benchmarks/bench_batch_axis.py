"""Benchmark ``batch_axis``: one histeq call on a batch against a Python loop
of the peers' (and histeq's own) per-image calls.

Run from the repository root (needs opencv-python-headless, scikit-image and
Pillow; torchvision is used when installed)::

    python benchmarks/bench_batch_axis.py             # 25 repetitions
    python benchmarks/bench_batch_axis.py --repeat 60

Cases (every result is checked bit for bit against the peer first; exit
status 1 if one differs):

- ``rgb``: (64, 224, 224, 3) uint8 crops of scikit-image's photos,
  ``histeq.equalize(batch, batch_axis=0, channel_axis=-1)`` against a loop of
  ``cv2.split`` + ``cv2.equalizeHist`` per channel + ``cv2.merge`` (target
  <= 0.5), a loop of Pillow's ``ImageOps.equalize`` with the array <-> Image
  conversions (target <= 0.2), and a loop of histeq's own per-image calls
  (target: the batch at least 3x faster); with torchvision, its
  ``transforms.v2.functional.equalize`` on the (64, 3, 224, 224) tensor
  (goal <= 0.5; histeq then takes ``batch_axis=0, channel_axis=1``);
- ``1080p``: (16, 1080, 1920) uint8 against 16 ``cv2.equalizeHist`` calls
  (target <= 0.6);
- ``clahe``: (64, 224, 224) uint8, ``histeq.clahe(batch, batch_axis=0,
  clip_limit=2, tile_grid=8)`` against a loop of ``cv2.createCLAHE(2.0,
  (8, 8)).apply`` (target <= 0.5).

Each repetition runs every contender once in a rotating order (interleaved);
prints medians in ms and the ratios histeq / peer (below 1: histeq is
faster). Absolute times swing with the machine; the ratios are what to read.
"""

from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np
from PIL import Image, ImageOps
from skimage import data

import histeq
from _timing import interleaved
from histeq.backends import get_num_threads


def crops(count: int, size: int) -> np.ndarray:
    """``count`` RGB crops of ``size`` x ``size`` from scikit-image's photos."""
    photos = [data.astronaut(), data.chelsea(), data.coffee(), data.rocket()]
    rng = np.random.default_rng(0)
    batch = np.empty((count, size, size, 3), np.uint8)
    for i in range(count):
        photo = photos[i % len(photos)]
        y = rng.integers(0, photo.shape[0] - size)
        x = rng.integers(0, photo.shape[1] - size)
        batch[i] = photo[y : y + size, x : x + size]
    return batch


def report(case: str, times: dict[str, float], ratios: list[tuple[str, str, str]]) -> None:
    """Medians, then each ``(ours, peer, target)`` ratio."""
    print(f"\n{case}")
    for name, seconds in times.items():
        print(f"  {name:40s} {1000 * seconds:9.2f} ms")
    for ours, peer, target in ratios:
        print(f"  ratio {ours} / {peer}: {times[ours] / times[peer]:.2f}  (target {target})")


def check(name: str, result: np.ndarray, expected: np.ndarray) -> None:
    if not np.array_equal(result, expected):
        print(f"{name}: histeq's result differs from the peer's", file=sys.stderr)
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=25)
    repeat = parser.parse_args().repeat

    rgb = crops(64, 224)

    def cv2_loop() -> list[np.ndarray]:
        return [cv2.merge([cv2.equalizeHist(c) for c in cv2.split(image)]) for image in rgb]

    def pillow_loop() -> list[np.ndarray]:
        return [np.asarray(ImageOps.equalize(Image.fromarray(image))) for image in rgb]

    def histeq_loop() -> list[np.ndarray]:
        return [histeq.equalize(image, channel_axis=-1) for image in rgb]

    def histeq_batch() -> np.ndarray:
        return histeq.equalize(rgb, batch_axis=0, channel_axis=-1)

    check("rgb", histeq_batch(), np.stack(cv2_loop()))
    check("rgb (pillow)", histeq.equalize(rgb, batch_axis=0, channel_axis=-1, method="pillow"), np.stack(pillow_loop()))
    contenders = {
        "histeq batch": histeq_batch,
        "cv2 loop (split, equalizeHist, merge)": cv2_loop,
        "Pillow loop (ImageOps.equalize)": pillow_loop,
        "histeq loop": histeq_loop,
    }
    ratios = [
        ("histeq batch", "cv2 loop (split, equalizeHist, merge)", "<= 0.5"),
        ("histeq batch", "Pillow loop (ImageOps.equalize)", "<= 0.2"),
        ("histeq batch", "histeq loop", "<= 0.33"),
    ]
    try:
        import torch
        from torchvision.transforms.v2 import functional as tvf
    except ImportError:
        print("torchvision is not installed: its case is left out")
    else:
        torch.set_num_threads(get_num_threads())
        planar = np.ascontiguousarray(rgb.transpose(0, 3, 1, 2))
        tensor = torch.from_numpy(planar)
        contenders["histeq batch (B, C, H, W)"] = lambda: histeq.equalize(planar, batch_axis=0, channel_axis=1)
        contenders["torchvision equalize"] = lambda: tvf.equalize(tensor)
        ratios.append(("histeq batch (B, C, H, W)", "torchvision equalize", "<= 0.5 (goal)"))
    times = interleaved(contenders, repeat)
    report("(64, 224, 224, 3) uint8, per channel", times, ratios)

    photo = cv2.resize(data.camera(), (1920, 1080), interpolation=cv2.INTER_LINEAR)
    grey = np.stack([np.roll(photo, 97 * i, axis=1) // (1 + i % 3) for i in range(16)])
    check("1080p", histeq.equalize(grey, batch_axis=0), np.stack([cv2.equalizeHist(image) for image in grey]))
    times = interleaved(
        {
            "histeq batch": lambda: histeq.equalize(grey, batch_axis=0),
            "16 cv2.equalizeHist": lambda: [cv2.equalizeHist(image) for image in grey],
        },
        repeat,
    )
    report("(16, 1080, 1920) uint8", times, [("histeq batch", "16 cv2.equalizeHist", "<= 0.6")])

    small = np.ascontiguousarray(rgb[..., 1])
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))

    def histeq_clahe() -> np.ndarray:
        return histeq.clahe(small, batch_axis=0, clip_limit=2.0, tile_grid=8)

    check("clahe", histeq_clahe(), np.stack([clahe.apply(image) for image in small]))
    times = interleaved(
        {"histeq batch": histeq_clahe, "cv2 CLAHE loop": lambda: [clahe.apply(image) for image in small]}, repeat
    )
    report("(64, 224, 224) uint8 CLAHE 8x8, clip 2", times, [("histeq batch", "cv2 CLAHE loop", "<= 0.5")])


if __name__ == "__main__":
    main()
