"""CLAHE's parameters at their extremes: huge clip limits (no clipping) and
tile grids checked against the image."""

from __future__ import annotations

import numpy as np
import pytest

import histeq


def sample(dtype=np.uint8, shape=(48, 40), seed=0):
    rng = np.random.default_rng(seed)
    values = rng.normal(0.4, 0.1, shape).clip(0, 1)
    if np.dtype(dtype).kind == "f":
        return values.astype(dtype)
    info = np.iinfo(dtype)
    return (float(info.min) + values * (float(info.max) - float(info.min))).astype(dtype)


# --- clip_limit ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int8, np.int16, np.int64, np.uint64, np.float32, np.float64])
@pytest.mark.parametrize("clip", [1e30, 1e300, np.finfo(np.float64).max])
def test_huge_clip_limits_mean_no_clipping(dtype, clip):
    # Was an OverflowError (uint8) or a numba TypingError (int16, float64).
    image = sample(dtype)
    np.testing.assert_array_equal(histeq.clahe(image, clip_limit=clip), histeq.clahe(image, clip_limit=0))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("grid", [(8, 8), (3, 5)])
def test_large_clip_limits_equal_opencv(dtype, grid):
    # OpenCV computes int(clip * tile_pixels / bins): up to 2**31 - 1 that is
    # defined, and a limit a tile cannot reach clips nothing, as 0 does.
    cv2 = pytest.importorskip("cv2")
    image = sample(dtype)
    bins = 1 << (8 * np.dtype(dtype).itemsize)
    tile = -(-image.shape[0] // grid[0]) * -(-image.shape[1] // grid[1])  # (padded) tile pixels
    engine = cv2.createCLAHE(0.0, (grid[1], grid[0]))
    no_clipping = engine.apply(image)
    for clip in (tile * 0.9, float(bins), 1e6, (2**31 - 2) * bins / tile):
        engine.setClipLimit(clip)
        expected = engine.apply(image)
        np.testing.assert_array_equal(histeq.clahe(image, clip_limit=clip, tile_grid=grid), expected)
    np.testing.assert_array_equal(histeq.clahe(image, clip_limit=1e30, tile_grid=grid), no_clipping)


def test_huge_clip_limits_in_scikit_image_method():
    exposure = pytest.importorskip("skimage.exposure")
    image = sample(np.uint8)
    expected = exposure.equalize_adapthist(image, clip_limit=1e10)  # scikit-image itself overflows at 1e30
    np.testing.assert_array_equal(histeq.clahe(image, clip_limit=1e30, method="skimage"), expected)
    np.testing.assert_array_equal(expected, exposure.equalize_adapthist(image, clip_limit=0))


# --- tile_grid ------------------------------------------------------------------------


def test_grids_beyond_the_image_are_refused_before_any_allocation():
    # (2**31, 2**31) tried to allocate 16 GiB, 10000 on a volume 467 TiB.
    with pytest.raises(ValueError, match=r"tile_grid.*axis 0.*100 pixels"):
        histeq.clahe(sample(shape=(100, 120)), tile_grid=(2**31, 2**31))
    with pytest.raises(ValueError, match=r"tile_grid.*axis 0.*10 pixels"):
        histeq.clahe(sample(shape=(10, 11, 12)), tile_grid=10000)
    with pytest.raises(ValueError, match=r"tile_grid.*axis 1.*3 pixels"):
        histeq.clahe(sample(shape=(40, 3, 2)), tile_grid=(4, 17), channel_axis=-1)


@pytest.mark.parametrize(
    ("shape", "grid"), [((5, 7), (5, 7)), ((5, 7), (16, 16)), ((1, 40), (16, 40)), ((30, 2), (7, 9))]
)
def test_grids_up_to_the_image_or_16_tiles_equal_opencv(shape, grid):
    # OpenCV accepts any grid, also one larger than the image (its tiles are
    # then one pixel, past the image mirrored): histeq keeps that, bit for
    # bit, up to max(pixels, 16) tiles along an axis.
    cv2 = pytest.importorskip("cv2")
    image = sample(shape=shape)
    expected = cv2.createCLAHE(2.0, (grid[1], grid[0])).apply(image)
    np.testing.assert_array_equal(histeq.clahe(image, clip_limit=2.0, tile_grid=grid), expected)


def test_tile_grid_iterators_are_read_once():
    image = sample()
    with pytest.raises(TypeError, match="tile_grid"):
        histeq.clahe(image, tile_grid=iter([True, 2]))  # was read twice: accepted as (1, 2)
    expected = histeq.clahe(image, tile_grid=(3, 2))
    np.testing.assert_array_equal(histeq.clahe(image, tile_grid=iter([3, 2])), expected)
    np.testing.assert_array_equal(histeq.clahe(image, tile_grid=(x for x in (3, 2))), expected)
