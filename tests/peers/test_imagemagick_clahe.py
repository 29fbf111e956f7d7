"""clahe(method="imagemagick") against ImageMagick 7's -clahe (magick-wasm,
its Q8 build), bit for bit, on grey and sRGB uint8 images: scikit-image's
samples and hypothesis-generated images; and its arguments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from peer_tools import magick_wasm_fixture  # noqa: F401 (fixture)

import histeq
from conftest import SKIMAGE_IMAGES, skimage_image

SEED = np.array([[50, 52, 52], [51, 52, 53], [52, 53, 54]], dtype=np.uint8)
#: ImageMagick 7.1.2-30 Q8 (@imagemagick/magick-wasm 0.0.43, node tests/peers/magick_clahe.mjs):
#: image.clahe(0, 0, 0, 3) of the seed PNG, i.e. magick seed.png -clahe 0x0+0+3 out.png
#: (tiles of 2x2 pixels, the least ImageMagick takes; 128 bins)
SEED_CLAHE = [[118, 184, 150], [184, 184, 184], [150, 184, 167]]


def run(image: np.ndarray, tile: tuple[int, int], bins: int, clip: float) -> np.ndarray:
    axis = None if image.ndim == 2 else -1
    return histeq.clahe(image, method="imagemagick", kernel_size=tile, nbins=bins, clip_limit=clip, channel_axis=axis)


def test_seed_worked_example():
    np.testing.assert_array_equal(histeq.clahe(SEED, method="imagemagick", kernel_size=0, nbins=128), SEED_CLAHE)


def test_seed_by_imagemagick(magick_wasm):
    assert magick_wasm.clahe([SEED], (0, 0), 0, 3.0)[0].tolist() == SEED_CLAHE


@pytest.mark.parametrize(("tile", "bins", "clip"), [((0, 0), 128, 3.0), ((20, 30), 64, 2.5), ((64, 64), 256, 1.0)])
def test_samples(magick_wasm, tile, bins, clip):
    # every grey sample and three colour ones (ImageMagick's wasm build takes seconds on the large ones)
    images = [skimage_image(name) for name in SKIMAGE_IMAGES if name not in ("rocket", "retina")]
    for image, expected in zip(images, magick_wasm.clahe(images, tile, bins, clip)):
        np.testing.assert_array_equal(run(image, tile, bins, clip), expected)


@st.composite
def grey_images(draw):
    """uint8 grey images: odd sizes, narrow ranges, constant ones."""
    shape = (draw(st.integers(2, 45)), draw(st.integers(2, 45)))
    low = draw(st.integers(0, 255))
    high = min(255, low + draw(st.sampled_from([0, 1, 9, 255])))
    return draw(hnp.arrays(np.uint8, shape, elements=st.integers(low, high)))


@settings(max_examples=8)
@given(
    st.lists(grey_images(), min_size=6, max_size=6),
    st.tuples(st.integers(0, 12), st.integers(0, 12)),
    st.sampled_from([0, 2, 16, 128, 300]),
    st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 40.0]),
)
def test_random_grey(magick_wasm, images, tile, bins, clip):
    tile = tuple(min(n, int(extent)) for n, extent in zip(tile, np.min([image.shape for image in images], axis=0)))
    for image, expected in zip(images, magick_wasm.clahe(images, tile, bins, clip)):
        np.testing.assert_array_equal(run(image, tile, bins or None, clip), expected)


@settings(max_examples=4)
@given(st.lists(hnp.arrays(np.uint8, st.tuples(st.integers(5, 30), st.integers(5, 30), st.just(3))), min_size=4))
def test_random_colour(magick_wasm, images):
    for image, expected in zip(images, magick_wasm.clahe(images, (4, 5), 32, 2.0)):
        np.testing.assert_array_equal(run(image, (4, 5), 32, 2.0), expected)


# --- the rest of the API -----------------------------------------------------------

RNG = np.random.default_rng(3)


def test_alpha_bgr_channels_and_batches():
    rgb = RNG.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    expected = run(rgb, (5, 6), 64, 2.0)
    rgba = np.concatenate([rgb, RNG.integers(0, 256, (20, 24, 1), dtype=np.uint8)], axis=-1)
    options = {"method": "imagemagick", "kernel_size": (5, 6), "nbins": 64, "clip_limit": 2.0}
    kept = histeq.clahe(rgba, channel_axis=-1, keep_alpha=True, **options)
    np.testing.assert_array_equal(kept[..., :3], expected)
    np.testing.assert_array_equal(kept[..., 3], rgba[..., 3])
    bgr = histeq.clahe(rgb[..., ::-1], channel_axis=-1, channel_order="bgr", **options)
    np.testing.assert_array_equal(bgr, expected[..., ::-1])
    per_channel = histeq.clahe(rgb, channel_axis=-1, color="channels", **options)
    for c in range(3):
        np.testing.assert_array_equal(per_channel[..., c], histeq.clahe(rgb[..., c], **options))
    stack = RNG.integers(0, 256, (3, 16, 17), dtype=np.uint8)
    batched = histeq.clahe(stack, batch_axis=0, **options)
    np.testing.assert_array_equal(batched, np.stack([histeq.clahe(item, **options) for item in stack]))
    assert histeq.clahe(rgb, channel_axis=-1, color="lab", **options).shape == rgb.shape


def test_out_and_input_untouched():
    grey = RNG.integers(0, 256, (15, 19), dtype=np.uint8)
    copy = grey.copy()
    expected = histeq.clahe(grey, method="imagemagick")
    np.testing.assert_array_equal(grey, copy)
    assert histeq.clahe(grey, method="imagemagick", out=grey) is grey
    np.testing.assert_array_equal(grey, expected)


@pytest.mark.parametrize(
    ("image", "kwargs", "error", "match"),
    [
        (np.zeros((8, 8), np.uint16), {}, TypeError, "uint8"),
        (np.zeros((8, 8, 8), np.uint8), {}, ValueError, "2-D"),
        (np.zeros((8, 8, 2), np.uint8), {"channel_axis": -1}, ValueError, "3 samples"),
        (np.zeros((8, 8), np.uint8), {"tile_grid": 4}, ValueError, "kernel_size"),
        (np.zeros((8, 8), np.uint8), {"kernel_size": 9}, ValueError, "kernel_size"),
        (np.zeros((8, 8), np.uint8), {"kernel_size": 2.5}, TypeError, "kernel_size"),
        (np.zeros((8, 8), np.uint8), {"clip_limit": -1}, ValueError, "clip_limit"),
        (np.zeros((8, 8), np.uint8), {"nbins": 0}, ValueError, "nbins"),
    ],
)
def test_refusals(image, kwargs, error, match):
    with pytest.raises(error, match=match):
        histeq.clahe(image, method="imagemagick", **kwargs)


def test_dask_arrays_refuse_it():
    da = pytest.importorskip("dask.array")
    with pytest.raises(ValueError, match="method"):
        histeq.clahe(da.zeros((16, 16), dtype=np.uint8, chunks=8), method="imagemagick")
