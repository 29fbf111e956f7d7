"""The default demo image: a synthetic low-contrast scene, made here, deterministic."""

from __future__ import annotations

import numpy as np

#: Side of the square demo image, in pixels.
SIZE = 512

#: The grey levels the scene is squeezed into (inclusive).
LOW, HIGH = 80, 160


def demo_image() -> np.ndarray:
    """A synthetic, low-contrast grey scene for demonstrations and tests.

    A sky gradient with a sun, rolling hills, a few stones and a pond, mild
    seeded texture and a flat shadow along the bottom (8% of the pixels at the
    lowest level, where the methods visibly differ: OpenCV maps it to 0, the
    textbook to about 20), all squeezed into grey levels ``LOW..HIGH``
    (80..160), so the picture looks flat and histogram equalization helps. The same
    array on every call and platform (a seeded ``numpy.random.Generator``).

    Returns
    -------
    ndarray
        ``(SIZE, SIZE)`` = ``(512, 512)`` uint8, values in ``80..160``, over
        80 distinct levels.
    """
    y, x = np.mgrid[0:SIZE, 0:SIZE] / (SIZE - 1)  # both in [0, 1], y downwards
    rng = np.random.default_rng(20240607)

    scene = 0.75 - 0.35 * y  # sky: brighter at the top
    scene += 0.25 * _disc(x, y, 0.78, 0.2, 0.09)  # sun
    horizon = 0.55 + 0.05 * np.sin(7 * x) + 0.03 * np.sin(19 * x + 1)
    ground = y > horizon
    scene[ground] = 0.25 + 0.2 * (y[ground] - 0.55) + 0.08 * np.sin(40 * x[ground]) * y[ground]
    for cx, cy, r, value in ((0.2, 0.8, 0.07, 0.55), (0.45, 0.9, 0.05, 0.1), (0.6, 0.75, 0.04, 0.45)):
        scene = np.where(_disc(x, y, cx, cy, r) > 0.5, value, scene)  # stones
    pond = ((x - 0.75) / 0.16) ** 2 + ((y - 0.86) / 0.06) ** 2 < 1
    scene[pond] = 0.6 + 0.05 * np.sin(60 * y[pond])
    scene += rng.normal(0.0, 0.02, scene.shape)  # film grain
    scene[y > 0.92] = 0.0  # a flat shadow along the bottom: many pixels at the lowest level

    scene = np.clip(scene, 0.0, 1.0)
    return np.rint(LOW + (HIGH - LOW) * scene).astype(np.uint8)


def _disc(x: np.ndarray, y: np.ndarray, cx: float, cy: float, radius: float) -> np.ndarray:
    """1 inside the disc, 0 outside, with a soft one-percent edge."""
    distance = np.hypot(x - cx, y - cy)
    return np.clip((radius - distance) / 0.01 + 0.5, 0.0, 1.0)
