"""scikit-image-compatible CLAHE against ``skimage.exposure.equalize_adapthist``.

Every element must be equal (and the dtype the same). The reference is
scikit-image's function without its colour wrapper (``__wrapped__``), so that
arrays whose last axis has length 3 or 4 are grey volumes there too, as they
are in histeq. Without scikit-image the comparisons skip; the tests of
histeq's own behaviour (bad input, inputs left untouched) still run.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import SKIMAGE_IMAGES, skimage_image
from histeq._clahe.skimage import skimage_clahe


def _grey_reference(image: np.ndarray, **kwargs) -> np.ndarray:
    """equalize_adapthist without the RGB(A) guess: the grey path for every
    shape. The calling test skips without scikit-image."""
    exposure = pytest.importorskip("skimage.exposure")
    return exposure.equalize_adapthist.__wrapped__(image, **kwargs)


def assert_matches(image: np.ndarray, **kwargs) -> None:
    expected = _grey_reference(image, **kwargs)
    actual = skimage_clahe(image, **kwargs)
    assert actual.dtype == expected.dtype
    assert np.array_equal(actual, expected), f"{np.count_nonzero(actual != expected)} elements differ"


def smooth_volume(shape: tuple[int, ...], dtype: type, seed: int = 0) -> np.ndarray:
    """Structured content (waves plus noise) over part of the dtype's range."""
    rng = np.random.default_rng(seed)
    grid = np.indices(shape).astype(np.float64)
    wave = sum(np.sin(axis / (3 + 2 * i)) for i, axis in enumerate(grid)) / len(shape)
    fractions = np.clip(0.4 + 0.2 * wave + rng.normal(0, 0.03, shape), 0, 1)
    if np.dtype(dtype).kind == "f":
        return fractions.astype(dtype)
    return np.rint(fractions * np.iinfo(dtype).max).astype(dtype)


# --- the images scikit-image ships --------------------------------------------


@pytest.mark.parametrize("name", SKIMAGE_IMAGES)
def test_shipped_images(name):
    # Grey images as they are; colour ones as grey volumes (last axis 3).
    assert_matches(skimage_image(name))


@pytest.mark.parametrize("name", ["camera", "moon", "coins", "page", "text"])
def test_public_function_on_grey_images(name):
    exposure = pytest.importorskip("skimage.exposure")
    image = skimage_image(name)
    np.testing.assert_array_equal(skimage_clahe(image), exposure.equalize_adapthist(image))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel_size": 37, "clip_limit": 0.03, "nbins": 100},
        {"kernel_size": (16, 100)},
        {"clip_limit": 0},
        {"clip_limit": 1.5},
        {"nbins": 1},
        {"nbins": 20000},
    ],
)
def test_camera_options(kwargs):
    assert_matches(skimage_image("camera"), **kwargs)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_camera_dtypes(dtype):
    image = skimage_image("camera").astype(np.float64) / 255
    if np.dtype(dtype).kind == "u":
        image = np.rint(image * np.iinfo(dtype).max * 0.7).astype(dtype)
    assert_matches(image.astype(dtype))


@pytest.mark.parametrize("kernel_size", [None, 5, (4, 9, 30)])
def test_volume(kernel_size):
    assert_matches(smooth_volume((24, 40, 50), np.uint16), kernel_size=kernel_size)


# --- generated cases -------------------------------------------------------------


@st.composite
def images(draw):
    """Small 2-D and 3-D images of each dtype: narrow or full value ranges."""
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=14))
    dtype = draw(st.sampled_from([np.uint8, np.uint16, np.float32, np.float64]))
    if np.dtype(dtype).kind == "f":
        low = draw(st.floats(-1, 1, width=32))
        high = draw(st.floats(low, 1, width=32))
        elements = st.floats(low, high, width=np.dtype(dtype).itemsize * 8)
    else:
        top = np.iinfo(dtype).max
        low = draw(st.integers(0, top))
        high = draw(st.integers(low, min(top, low + draw(st.sampled_from([0, 3, 300, top])))))
        elements = st.integers(low, high)
    return draw(hnp.arrays(dtype, shape, elements=elements))


@st.composite
def kernel_sizes(draw, ndim):
    kind = draw(st.sampled_from(["default", "int", "tuple"]))
    if kind == "default":
        return None
    if kind == "int":
        return draw(st.integers(1, 16))
    return tuple(draw(st.integers(1, 16)) for _ in range(ndim))


@given(data=st.data())
def test_generated(data):
    image = data.draw(images())
    kernel_size = data.draw(kernel_sizes(image.ndim))
    clip_limit = data.draw(st.sampled_from([0, 0.01, 0.05, 0.3, 1.0]))
    nbins = data.draw(st.sampled_from([256, 2, 17, 128, 1000]))
    assert_matches(image, kernel_size=kernel_size, clip_limit=clip_limit, nbins=nbins)


# --- behaviour ---------------------------------------------------------------------


def test_constant_images():
    for image in (np.zeros((9, 10), np.uint8), np.full((9, 10), 200, np.uint8), np.ones((4, 5, 6))):
        assert_matches(image)


def test_one_dimensional():
    assert_matches(smooth_volume((300,), np.float64), kernel_size=17)


def test_strided_and_fortran_inputs():
    image = smooth_volume((60, 80), np.uint8)
    for view in (image[::2, 1::3], image[::-1], np.asfortranarray(image), image.T):
        assert_matches(view, kernel_size=7)


def test_input_is_not_modified():
    for image in (smooth_volume((30, 40), np.uint8), smooth_volume((8, 12, 10), np.float32)):
        before = image.copy()
        skimage_clahe(image, kernel_size=5)
        np.testing.assert_array_equal(image, before)


def test_float16_is_taken_as_float32():
    # scikit-image converts float16 in float16 arithmetic, where 65535 is
    # infinite (every float16 image comes out constant); histeq converts it
    # exactly to float32 first.
    image = smooth_volume((30, 40), np.float16)
    np.testing.assert_array_equal(skimage_clahe(image), _grey_reference(image.astype(np.float32)))
    assert skimage_clahe(image).dtype == np.float32


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"image": np.zeros((4, 4), np.int16)}, TypeError),
        ({"image": np.zeros((2, 2, 2, 2), np.uint8)}, ValueError),
        ({"image": np.array([[0.5, np.nan]])}, ValueError),
        ({"image": np.array([[0.5, 1.5]])}, ValueError),
        ({"kernel_size": 0}, ValueError),
        ({"kernel_size": (3, 3, 3)}, ValueError),
        ({"kernel_size": (3, "3")}, TypeError),
        ({"kernel_size": (3, True)}, TypeError),
        ({"clip_limit": -0.1}, ValueError),
        ({"clip_limit": float("nan")}, ValueError),
        ({"clip_limit": "0.1"}, TypeError),
        ({"nbins": 0}, ValueError),
        ({"nbins": None}, TypeError),
        ({"nbins": 2.5}, TypeError),
    ],
)
def test_errors(kwargs, error):
    arguments = {"image": np.zeros((4, 4), np.uint8), **kwargs}
    with pytest.raises(error):
        skimage_clahe(arguments.pop("image"), **arguments)
