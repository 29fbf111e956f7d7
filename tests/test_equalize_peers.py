"""Each compatibility method against the real library it names.

On the images scikit-image ships and on hypothesis-generated images: shapes,
dtypes, narrow and full value ranges, ties, masks. A test skips when the
library it compares with is missing.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import histeq

# --- reference calls ---------------------------------------------------------


def cv2_equalize(image: np.ndarray) -> np.ndarray:
    cv2 = pytest.importorskip("cv2")
    if image.ndim == 2:
        return cv2.equalizeHist(image)
    return np.stack([cv2.equalizeHist(np.ascontiguousarray(image[..., c])) for c in range(image.shape[-1])], axis=-1)


def pil_equalize(image: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    Image = pytest.importorskip("PIL.Image")
    ImageOps = pytest.importorskip("PIL.ImageOps")
    pil_mask = None if mask is None else Image.fromarray(mask.astype(np.uint8) * 255)
    return np.asarray(ImageOps.equalize(Image.fromarray(image), mask=pil_mask))


def assert_same_floats(actual: np.ndarray, expected: np.ndarray) -> None:
    """Identical dtype and values; at most 1 ulp apart where numpy's own
    np.interp could round differently (in practice they are identical)."""
    assert actual.dtype == expected.dtype
    np.testing.assert_array_max_ulp(actual, expected, maxulp=1)


# --- strategies --------------------------------------------------------------

shapes_2d = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40)


@st.composite
def uint8_images(draw, shapes=shapes_2d):
    """uint8 images with full, narrow or few-level (many ties) content."""
    shape = draw(shapes)
    low = draw(st.integers(0, 255))
    high = draw(st.integers(low, min(255, low + draw(st.sampled_from([0, 1, 3, 20, 255])))))
    return draw(hnp.arrays(np.uint8, shape, elements=st.integers(low, high)))


@st.composite
def masks_for(draw, shape):
    return draw(hnp.arrays(np.bool_, shape))


# --- OpenCV ------------------------------------------------------------------


def test_opencv_on_real_images(real_image):
    np.testing.assert_array_equal(
        histeq.equalize(real_image, channel_axis=-1 if real_image.ndim == 3 else None),
        cv2_equalize(real_image),
    )


@given(uint8_images())
def test_opencv_on_random_uint8(image):
    cv2 = pytest.importorskip("cv2")
    np.testing.assert_array_equal(histeq.equalize(image), cv2.equalizeHist(image))


def test_opencv_large_image_matches():
    # The size where kernels split the work over threads and pair the LUT.
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(7)
    image = np.clip(rng.normal(90, 25, (1080, 1921)), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(histeq.equalize(image), cv2.equalizeHist(image))
    np.testing.assert_array_equal(histeq.equalize(image[:, 1:]), cv2.equalizeHist(image[:, 1:]))


@given(uint8_images(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=40)))
def test_opencv_uint8_fast_path_matches_general_path_in_every_layout(image):
    # Contiguous uint8 images take a shorter path than masked ones, views and
    # mismatched outputs; all must agree with each other and with OpenCV.
    cv2 = pytest.importorskip("cv2")
    expected = histeq.equalize(image, mask=np.ones(image.shape, bool))  # the general path
    if image.ndim == 2:
        np.testing.assert_array_equal(expected, cv2.equalizeHist(image))
    np.testing.assert_array_equal(histeq.equalize(image), expected)
    fortran = np.asfortranarray(image)
    np.testing.assert_array_equal(histeq.equalize(fortran), expected)
    for out in (np.empty_like(image), np.empty_like(fortran), np.full(image.shape, 7, np.uint8, order="F")):
        assert histeq.equalize(image, out=out) is out
        np.testing.assert_array_equal(out, expected)
    inplace = fortran.copy(order="A")
    assert histeq.equalize(inplace, out=inplace) is inplace
    np.testing.assert_array_equal(inplace, expected)
    view = image[..., ::2]
    np.testing.assert_array_equal(histeq.equalize(view), histeq.equalize(np.ascontiguousarray(view)))


@given(uint8_images(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=30)))
def test_opencv_rgb_fast_path_matches_opencv_per_channel(grey):
    # Interleaved RGB (channels last, C-contiguous) takes the short path; a
    # channel may be constant (returned unchanged), as OpenCV does.
    cv2 = pytest.importorskip("cv2")
    image = np.stack([grey, grey[::-1], np.full_like(grey, 9)], axis=-1)
    expected = np.stack([cv2.equalizeHist(image[..., c].reshape(1, -1)).reshape(grey.shape) for c in range(3)], -1)
    np.testing.assert_array_equal(histeq.equalize(image, channel_axis=-1), expected)
    np.testing.assert_array_equal(histeq.equalize(image, channel_axis=image.ndim - 1), expected)
    out = np.full(image.shape, 7, np.uint8)
    assert histeq.equalize(image, channel_axis=-1, out=out) is out
    np.testing.assert_array_equal(out, expected)
    general = histeq.equalize(np.asfortranarray(image), channel_axis=-1)  # not the short path
    np.testing.assert_array_equal(general, expected)
    # RGB in 4-byte pixels (Pillow's layout, RGBA's colour) in and out; the 4th bytes stay as they are.
    padded = np.concatenate([image, np.full_like(image[..., :1], 5)], axis=-1)
    np.testing.assert_array_equal(histeq.equalize(padded[..., :3], channel_axis=-1), expected)
    padded_out = np.full_like(padded, 3)
    histeq.equalize(padded[..., :3], channel_axis=-1, out=padded_out[..., :3])
    np.testing.assert_array_equal(padded_out[..., :3], expected)
    assert (padded_out[..., 3] == 3).all() and (padded[..., 3] == 5).all()
    histeq.equalize(image, channel_axis=-1, out=padded_out[..., :3])
    np.testing.assert_array_equal(padded_out[..., :3], expected)


def test_opencv_rgb_photo_matches_opencv_split_and_merge():
    # A real photograph, large enough for several threads' chunks.
    cv2 = pytest.importorskip("cv2")
    data = pytest.importorskip("skimage.data")
    photo = np.ascontiguousarray(np.tile(data.astronaut() // 2 + 20, (3, 2, 1)))
    expected = cv2.merge([cv2.equalizeHist(channel) for channel in cv2.split(photo)])
    np.testing.assert_array_equal(histeq.equalize(photo, channel_axis=-1), expected)


@given(
    hnp.arrays(np.int64, st.integers(1, 300), elements=st.sampled_from([0, 0, 1, 2, 7, 1000, 2**24 + 1, 2**40])),
)
def test_opencv_8bit_plan_is_opencvs_float32_formula(counts):
    # The compiled 8-bit plan against the formula of cv2.equalizeHist written
    # in numpy: round((cdf - h[v0]) * float32(255 / (N - h[v0]))) in float32.
    from histeq._core.binning import BYTE_LEVELS
    from histeq._core.plans import opencv

    occupied = np.flatnonzero(counts)
    lut = opencv(counts, BYTE_LEVELS, np.dtype(np.uint8))
    signed = opencv(counts, BYTE_LEVELS, np.dtype(np.int8))
    if occupied.size == 0 or counts[occupied[0]] == counts.sum():
        assert lut is None and signed is None
        return
    first, total = counts[occupied[0]], counts.sum()
    scale = np.float32(255) / np.float32(total - first)
    expected = np.clip(np.rint((np.cumsum(counts) - first).astype(np.float32) * scale), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(lut, expected)
    np.testing.assert_array_equal(signed, (expected.astype(np.int16) - 128).astype(np.int8))


# --- Pillow ------------------------------------------------------------------


def test_pillow_on_real_images(real_image):
    axis = -1 if real_image.ndim == 3 else None
    np.testing.assert_array_equal(
        histeq.equalize(real_image, method="pillow", channel_axis=axis), pil_equalize(real_image)
    )


@given(uint8_images(), st.data())
def test_pillow_on_random_uint8_with_and_without_mask(image, data):
    np.testing.assert_array_equal(histeq.equalize(image, method="pillow"), pil_equalize(image))
    mask = data.draw(masks_for(image.shape))
    np.testing.assert_array_equal(histeq.equalize(image, method="pillow", mask=mask), pil_equalize(image, mask))


def test_pillow_rgb_with_spatial_mask():
    image = np.ascontiguousarray(pytest.importorskip("skimage.data").astronaut()[::4, ::4])
    mask = np.zeros(image.shape[:2], bool)
    mask[20:90, 30:100] = True
    np.testing.assert_array_equal(
        histeq.equalize(image, method="pillow", mask=mask, channel_axis=-1),
        pil_equalize(image, mask),
    )


# --- scikit-image ------------------------------------------------------------


def test_skimage_on_real_images(real_image):
    exposure = pytest.importorskip("skimage.exposure")
    assert_same_floats(histeq.equalize(real_image, method="skimage"), exposure.equalize_hist(real_image))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("nbins", [2, 10, 256, 1000])
def test_skimage_float_real_image(dtype, nbins):
    data = pytest.importorskip("skimage.data")
    exposure = pytest.importorskip("skimage.exposure")
    noise = np.random.default_rng(3).normal(0, 0.02, (512, 512))
    image = (data.camera() / 255.0 + noise).astype(dtype)
    assert_same_floats(
        histeq.equalize(image, method="skimage", nbins=nbins), exposure.equalize_hist(image, nbins=nbins)
    )


@given(
    st.sampled_from([np.uint8, np.uint16, np.int8, np.int16, np.int32, np.uint32, np.int64]),
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=12),
    st.data(),
)
def test_skimage_on_random_integers(dtype, shape, data):
    exposure = pytest.importorskip("skimage.exposure")
    info = np.iinfo(dtype)
    low = data.draw(st.integers(max(int(info.min), -(2**40)), min(int(info.max), 2**40)))
    high = data.draw(st.integers(low, min(int(info.max), low + 5000)))
    image = data.draw(hnp.arrays(dtype, shape, elements=st.integers(low, high)))
    assert_same_floats(histeq.equalize(image, method="skimage"), exposure.equalize_hist(image))
    mask = data.draw(masks_for(shape))
    if mask.any():
        assert_same_floats(
            histeq.equalize(image, method="skimage", mask=mask), exposure.equalize_hist(image, mask=mask)
        )


@given(
    st.sampled_from([np.float16, np.float32, np.float64]),
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=12),
    st.integers(1, 300),
    st.data(),
)
def test_skimage_on_random_floats(dtype, shape, nbins, data):
    exposure = pytest.importorskip("skimage.exposure")
    scale = data.draw(st.sampled_from([2.0**-10, 1.0, 2.0**13 if dtype != np.float16 else 2.0**10]))
    elements = st.floats(-scale, scale, width=np.dtype(dtype).itemsize * 8, allow_nan=False)
    image = data.draw(hnp.arrays(dtype, shape, elements=elements))
    mask = data.draw(masks_for(shape))
    for selection in (None, mask if mask.any() else None):
        try:
            expected = exposure.equalize_hist(image, nbins=nbins, mask=selection)
        except ValueError:  # numpy: too many bins for a tiny range; histeq says so too
            with pytest.raises(ValueError, match="nbins"):
                histeq.equalize(image, method="skimage", nbins=nbins, mask=selection)
            continue
        assert_same_floats(histeq.equalize(image, method="skimage", nbins=nbins, mask=selection), expected)


def test_skimage_constant_images():
    exposure = pytest.importorskip("skimage.exposure")
    assert_same_floats(
        histeq.equalize(np.full((3, 4), 9, np.uint16), method="skimage"),
        exposure.equalize_hist(np.full((3, 4), 9, np.uint16)),
    )
    assert_same_floats(
        histeq.equalize(np.full((3, 4), 0.25, np.float32), method="skimage"),
        exposure.equalize_hist(np.full((3, 4), 0.25, np.float32)),
    )


def test_skimage_rounds_to_opencv_on_camera():
    # ALGORITHMS.md: on camera, round(255 * equalize_hist) equals cv2's output.
    cv2 = pytest.importorskip("cv2")
    data = pytest.importorskip("skimage.data")
    camera = data.camera()
    rounded = np.rint(255 * histeq.equalize(camera, method="skimage")).astype(np.uint8)
    np.testing.assert_array_equal(rounded, cv2.equalizeHist(camera))
