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


def demo_colour_image() -> np.ndarray:
    """A synthetic hazy colour scene: the demo scene's shapes in colour, washed out.

    A blue sky over green hills with a yellow sun, red and grey stones and a
    blue pond, seen through haze: every channel squeezed towards grey, the
    blue channel most (a cast, so that equalizing each channel on its own
    visibly shifts the hues while equalizing the luminance does not). The
    same array on every call.

    Returns
    -------
    ndarray
        ``(SIZE // 2, SIZE // 2, 3)`` = ``(256, 256, 3)`` uint8 RGB.
    """
    y, x = np.mgrid[0:SIZE:2, 0:SIZE:2] / (SIZE - 1)
    rng = np.random.default_rng(20261207)
    sky = np.stack([0.45 + 0.2 * y, 0.6 + 0.15 * y, 0.9 - 0.1 * y], axis=-1)
    rgb = sky.copy()
    sun = _disc(x, y, 0.78, 0.2, 0.09)[..., None]
    rgb = rgb * (1 - sun) + np.array([1.0, 0.85, 0.3]) * sun
    horizon = 0.55 + 0.05 * np.sin(7 * x) + 0.03 * np.sin(19 * x + 1)
    ground = y > horizon
    shade = (0.8 + 0.2 * np.sin(40 * x) * y)[ground][:, None]
    rgb[ground] = np.array([0.25, 0.5, 0.15]) * shade
    for cx, cy, r, colour in ((0.2, 0.8, 0.07, (0.7, 0.2, 0.15)), (0.6, 0.75, 0.04, (0.55, 0.5, 0.45))):
        stone = _disc(x, y, cx, cy, r)[..., None] > 0.5
        rgb = np.where(stone, np.array(colour), rgb)
    pond = ((x - 0.75) / 0.16) ** 2 + ((y - 0.86) / 0.06) ** 2 < 1
    rgb[pond] = np.array([0.15, 0.35, 0.6])
    rgb += rng.normal(0.0, 0.015, rgb.shape)
    haze = np.array([0.35, 0.35, 0.45])  # how much of each channel is haze: a blue-grey veil
    veiled = haze * np.array([0.62, 0.64, 0.7]) + (1 - haze) * np.clip(rgb, 0.0, 1.0) * 0.7
    return np.rint(255 * np.clip(veiled, 0.0, 1.0)).astype(np.uint8)


def demo_cells_image() -> np.ndarray:
    """A synthetic 16-bit fluorescence micrograph: cells of very different brightness on a dark, uneven field.

    Bright and dim round cells with brighter nuclei, an illumination that
    falls off towards the corners, a camera offset of 1000 and shot-like
    noise; the values span about 1000..11000 of 0..65535, as a 12-bit camera
    stored in 16 bits does. The same array on every call.

    Returns
    -------
    ndarray
        ``(SIZE // 2, SIZE // 2)`` = ``(256, 256)`` uint16.
    """
    size = SIZE // 2
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    rng = np.random.default_rng(20261208)
    light = 1.0 - 0.5 * ((x - 0.45) ** 2 + (y - 0.5) ** 2)
    signal = np.full((size, size), 150.0)
    for _ in range(40):
        cx, cy = rng.uniform(0.05, 0.95, 2)
        radius = rng.uniform(0.03, 0.07)
        brightness = rng.choice([400.0, 1000.0, 4500.0], p=[0.45, 0.35, 0.2])
        distance = np.hypot(x - cx, y - cy) / radius
        signal += brightness * np.clip(1.2 - distance, 0.0, 1.0) ** 0.5
        signal += brightness * np.clip(1.0 - 2.5 * distance, 0.0, 1.0)  # the nucleus
    counts = rng.poisson(signal * light).astype(np.float64)
    return np.clip(1000 + counts, 0, 65535).astype(np.uint16)
