"""histeq._core.colour_spaces: a luminance plane split off a colour image, processed, merged back.

OpenCV's 8-bit YCrCb and Lab are checked over every colour in
test_colour_exhaustive.py; here: 16-bit and float YCrCb against cv2, CIE Lab
against scikit-image, HSV's merge rule, scikit-image's RGB CLAHE, the
OpenCV round trip with equalizeHist on real and random images, layouts
(views, RGBA colour parts, N-D, aliasing) and bad input.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest

from conftest import skimage_image
from histeq._core.colour_spaces import (
    CHANNEL_ORDERS,
    LUMINANCE_SPACES,
    Luminance,
    skimage_hsv_split,
    split_luminance,
)

COLOUR_IMAGES = ("astronaut", "chelsea", "coffee", "rocket", "retina")
DTYPES = (np.uint8, np.uint16, np.float32, np.float64)


def _random(shape, dtype, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "u":
        return rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)
    return rng.random(shape, dtype=dtype)


def _cv2_codes(space: str, order: str) -> tuple[int, int]:
    cv2 = pytest.importorskip("cv2")
    name = {"ycrcb": "YCrCb", "lab": "Lab", "hsv": "HSV"}[space]
    return getattr(cv2, f"COLOR_{order.upper()}2{name}"), getattr(cv2, f"COLOR_{name}2{order.upper()}")


def _round_trip(image: np.ndarray, space: str, plane: np.ndarray, order: str = "rgb") -> np.ndarray:
    lum = split_luminance(image, space, order=order)
    out = np.empty_like(image)
    lum.merge(plane, out)
    return out


# ------------------------------------------------------------------ API


def test_vocabulary():
    assert LUMINANCE_SPACES == ("ycrcb", "lab", "hsv")
    assert CHANNEL_ORDERS == ("rgb", "bgr")


@pytest.mark.parametrize("space", LUMINANCE_SPACES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_plane_shape_dtype_and_identity_merge_shape(space, dtype):
    image = _random((5, 7, 3), dtype)
    lum = split_luminance(image, space)
    assert isinstance(lum, Luminance) and lum.space == space and lum.order == "rgb"
    assert lum.plane.shape == (5, 7) and lum.plane.dtype == image.dtype and lum.plane.flags.c_contiguous
    out = np.zeros_like(image)
    lum.merge(lum.plane, out)
    assert out.dtype == image.dtype
    assert "Luminance(space=" in repr(lum)


@pytest.mark.parametrize("space", LUMINANCE_SPACES)
def test_space_and_order_are_case_insensitive(space):
    image = _random((3, 4, 3), np.uint8)
    a = split_luminance(image, space.upper(), order="BGR")
    b = split_luminance(image, space, order="bgr")
    assert a.space == space and a.order == "bgr"
    np.testing.assert_array_equal(a.plane, b.plane)


# ----------------------------------------------------------- YCrCb vs cv2


@pytest.mark.parametrize("order", CHANNEL_ORDERS)
def test_ycrcb_uint16_against_cv2(order):
    cv2 = pytest.importorskip("cv2")
    forward, back = _cv2_codes("ycrcb", order)
    image = _random((1000, 2003, 3), np.uint16, seed=1)
    image[0, :8] = [
        [0, 0, 0],
        [65535] * 3,
        [65535, 0, 0],
        [0, 65535, 0],
        [0, 0, 65535],
        [65535, 65535, 0],
        [0, 65535, 65535],
        [65535, 0, 65535],
    ]
    converted = cv2.cvtColor(image, forward)
    lum = split_luminance(image, "ycrcb", order=order)
    np.testing.assert_array_equal(lum.plane, converted[..., 0])
    new = _random(lum.plane.shape, np.uint16, seed=2)
    out = np.empty_like(image)
    lum.merge(new, out)
    converted[..., 0] = new
    np.testing.assert_array_equal(out, cv2.cvtColor(converted, back))


@pytest.mark.parametrize("order", CHANNEL_ORDERS)
def test_ycrcb_float32_against_cv2(order):
    # cv2's vectorised loop uses fused multiply-adds (on CPUs with AVX2 and
    # FMA), which histeq reproduces bit for bit; its scalar code (rows
    # narrower than its vectors) rounds differently, by 1 ulp.
    cv2 = pytest.importorskip("cv2")
    fused = cv2.checkHardwareSupport(11) and cv2.checkHardwareSupport(12)  # CV_CPU_AVX2, CV_CPU_FMA3
    forward, back = _cv2_codes("ycrcb", order)
    for width in (64, 1003, 5):
        image = _random((50, width, 3), np.float32, seed=width)
        converted = cv2.cvtColor(image, forward)
        lum = split_luminance(image, "ycrcb", order=order)
        new = _random(lum.plane.shape, np.float32, seed=width + 1)
        out = np.empty_like(image)
        lum.merge(new, out)
        plane = converted[..., 0].copy()
        converted[..., 0] = new
        expected = cv2.cvtColor(converted, back)
        np.testing.assert_allclose(lum.plane, plane, rtol=0, atol=2**-22)
        np.testing.assert_allclose(out, expected, rtol=0, atol=2**-22)
        if fused and width >= 64:
            np.testing.assert_array_equal(lum.plane, plane)
            np.testing.assert_array_equal(out, expected)


def test_ycrcb_float64_uses_cv2_coefficients():
    cv2 = pytest.importorskip("cv2")
    image = _random((40, 50, 3), np.float64)
    lum = split_luminance(image, "ycrcb")
    reference = cv2.cvtColor(image.astype(np.float32), cv2.COLOR_RGB2YCrCb)
    np.testing.assert_allclose(lum.plane, reference[..., 0], atol=1e-6)
    R, G, B = np.moveaxis(image, -1, 0)
    np.testing.assert_array_equal(lum.plane, 0.299 * R + 0.587 * G + 0.114 * B)
    new = _random(lum.plane.shape, np.float64, seed=3)
    out = np.empty_like(image)
    lum.merge(new, out)
    reference[..., 0] = new
    np.testing.assert_allclose(out, cv2.cvtColor(reference, cv2.COLOR_YCrCb2RGB), atol=2e-6)


# -------------------------------------------- the round trip with equalizeHist


@pytest.mark.parametrize("order", CHANNEL_ORDERS)
@pytest.mark.parametrize("space", ["ycrcb", "lab"])
@pytest.mark.parametrize("name", COLOUR_IMAGES)
def test_opencv_round_trip_on_real_images(name, space, order):
    cv2 = pytest.importorskip("cv2")
    image = skimage_image(name)
    forward, back = _cv2_codes(space, order)
    converted = cv2.cvtColor(image, forward)
    converted[..., 0] = cv2.equalizeHist(np.ascontiguousarray(converted[..., 0]))
    lum = split_luminance(image, space, order=order)
    np.testing.assert_array_equal(
        _round_trip(image, space, cv2.equalizeHist(lum.plane), order), cv2.cvtColor(converted, back)
    )


@pytest.mark.parametrize("space", ["ycrcb", "lab"])
@pytest.mark.parametrize(
    "shape", [(1, 1, 3), (1, 7, 3), (9, 1, 3), (13, 17, 3), (31, 641, 3), (2, 3, 5, 3), (11, 3), (3,)]
)
def test_opencv_round_trip_random_shapes(space, shape):
    cv2 = pytest.importorskip("cv2")
    import histeq

    image = _random(shape, np.uint8, seed=len(shape))
    grid = image.reshape(-1, 1, 3)  # cv2 wants 2-D: the same pixels as one column
    forward, back = _cv2_codes(space, "rgb")
    converted = cv2.cvtColor(grid, forward)
    converted[..., 0] = cv2.equalizeHist(np.ascontiguousarray(converted[..., 0]))
    lum = split_luminance(image, space)
    assert lum.plane.shape == shape[:-1]
    equalized = histeq.equalize(lum.plane) if lum.plane.ndim else cv2.equalizeHist(lum.plane.reshape(1, 1))[0, 0]
    np.testing.assert_array_equal(equalized.reshape(-1), converted[:, 0, 0])  # histeq.equalize is cv2's
    out = np.empty_like(image)
    lum.merge(np.asarray(equalized, np.uint8).reshape(lum.plane.shape), out)
    np.testing.assert_array_equal(out.reshape(-1, 1, 3), cv2.cvtColor(converted, back))


@pytest.mark.parametrize("space", LUMINANCE_SPACES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_constant_image(space, dtype):
    image = np.empty((6, 5, 3), dtype)
    image[...] = _random((3,), dtype, seed=9)
    lum = split_luminance(image, space)
    assert np.all(lum.plane == lum.plane.flat[0])
    out = np.empty_like(image)
    lum.merge(lum.plane, out)
    assert np.all(out == out[0, 0])


# ------------------------------------------------------------- layouts


def _views(image: np.ndarray):
    """(name, view, its C-ordered equal) for layouts a caller may pass."""
    big = np.zeros((image.shape[0] + 3, image.shape[1] * 2 + 5, 4), image.dtype)
    crop = big[2 : 2 + image.shape[0], 3 : 3 + image.shape[1], :3]
    crop[...] = image
    yield "crop of RGBA", crop
    flipped = np.ascontiguousarray(image[::-1])[::-1]
    yield "rows reversed", flipped
    yield "every other column", np.repeat(image, 2, axis=1)[:, ::2]
    yield "Fortran order", np.asfortranarray(image)
    yield "channels first, moved", np.moveaxis(np.ascontiguousarray(np.moveaxis(image, -1, 0)), 0, -1)
    yield "transposed", np.ascontiguousarray(image.transpose(1, 0, 2)).transpose(1, 0, 2)
    yield "channels reversed view", np.ascontiguousarray(image[..., ::-1])[..., ::-1]


@pytest.mark.parametrize("space", LUMINANCE_SPACES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_views_give_the_contiguous_results(space, dtype):
    image = _random((9, 14, 3), dtype, seed=4)
    expected_lum = split_luminance(image, space)
    new = np.ascontiguousarray(expected_lum.plane[::-1])  # any plane of the right dtype
    expected = np.empty_like(image)
    expected_lum.merge(new, expected)
    for name, view in _views(image):
        lum = split_luminance(view, space)
        np.testing.assert_array_equal(lum.plane, expected_lum.plane, err_msg=name)
        for _, out in _views(np.zeros_like(image)):
            lum.merge(new, out)
            np.testing.assert_array_equal(out, expected, err_msg=name)
        lum.merge(new.T.copy().T, out)  # a Fortran-ordered plane
        np.testing.assert_array_equal(out, expected, err_msg=name)


def test_four_dimensional_view_without_merged_rows():
    base = _random((2, 6, 5, 3), np.uint8, seed=5)
    view = base[:, :3]  # the leading axes cannot be merged without a copy
    lum = split_luminance(view, "ycrcb")
    np.testing.assert_array_equal(lum.plane, split_luminance(np.ascontiguousarray(view), "ycrcb").plane)
    out = np.zeros((2, 6, 5, 3), np.uint8)[:, 3:]
    lum.merge(lum.plane, out)
    expected = np.empty_like(view)
    split_luminance(np.ascontiguousarray(view), "ycrcb").merge(lum.plane, expected)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("space", LUMINANCE_SPACES)
def test_merge_into_the_image_itself(space):
    image = _random((20, 33, 3), np.uint8, seed=6)
    expected = _round_trip(image, space, np.full(image.shape[:2], 99, np.uint8))
    lum = split_luminance(image, space)
    lum.merge(np.full(image.shape[:2], 99, np.uint8), image)
    np.testing.assert_array_equal(image, expected)


def test_merge_into_an_overlapping_view_reads_the_original():
    image = _random((20, 33, 3), np.uint8, seed=7)
    new = _random((20, 33), np.uint8, seed=8)
    expected = _round_trip(image.copy(), "ycrcb", new)
    lum = split_luminance(image, "ycrcb")
    out = image[::-1]  # the same memory, rows reversed
    lum.merge(new, out)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("space", LUMINANCE_SPACES)
def test_empty_images(space):
    for shape in ((0, 5, 3), (4, 0, 3), (0, 3)):
        image = np.zeros(shape, np.uint8)
        lum = split_luminance(image, space)
        assert lum.plane.shape == shape[:-1]
        lum.merge(lum.plane, np.empty_like(image))


def test_results_do_not_depend_on_the_thread_count():
    from histeq.backends import get_num_threads, set_num_threads

    image = _random((600, 700, 3), np.uint8, seed=10)
    new = _random((600, 700), np.uint8, seed=11)
    results = []
    threads = get_num_threads()
    try:
        for count in (1, 3):
            set_num_threads(count)
            results += [split_luminance(image, space).plane for space in LUMINANCE_SPACES]
            results += [_round_trip(image, space, new) for space in LUMINANCE_SPACES]
    finally:
        set_num_threads(threads)
    for a, b in zip(results[:6], results[6:]):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------- HSV


@pytest.mark.parametrize("dtype", DTYPES)
def test_hsv_plane_is_the_max(dtype):
    image = _random((30, 40, 3), dtype)
    np.testing.assert_array_equal(split_luminance(image, "hsv").plane, image.max(axis=-1))


def test_hsv_plane_is_cv2s_v():
    cv2 = pytest.importorskip("cv2")
    image = _random((100, 101, 3), np.uint8)
    np.testing.assert_array_equal(split_luminance(image, "hsv").plane, cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[..., 2])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_hsv_merge_scales_with_exact_half_even_rounding(dtype):
    image = _random((200, 300, 3), dtype, seed=12)
    image[0, :4] = [[0, 0, 0], [1, 1, 2], [1, 0, 2], [3, 2, 2]]
    new = _random((200, 300), dtype, seed=13)
    new[0, :4] = [7, 5, 3, 5]
    out = _round_trip(image, "hsv", new)
    v = image.max(axis=-1).astype(np.int64)
    scaled = Fraction  # exact reference on a sample, Python's round() is half to even
    for r, c in [(0, 0), (0, 1), (0, 2), (0, 3), *zip(range(0, 200, 7), range(0, 300, 11))]:
        if v[r, c] == 0:
            assert list(out[r, c]) == [new[r, c]] * 3
            continue
        expected = [round(scaled(int(s) * int(new[r, c]), int(v[r, c]))) for s in image[r, c]]
        assert list(out[r, c]) == expected, (r, c)
    assert list(out[0, 1]) == [2, 2, 5]  # 2.5 -> 2, 2.5 -> 2, 5
    assert list(out[0, 2]) == [2, 0, 3]  # 1.5 -> 2
    lit = v > 0
    np.testing.assert_array_equal(out.max(axis=-1)[lit], new[lit])
    np.testing.assert_array_equal(out[~lit], np.repeat(new[~lit][:, None], 3, axis=1))
    # every sample: the exact rule, vectorised in int64
    num = 2 * image.astype(np.int64) * new[..., None] + v[..., None]
    den = 2 * np.maximum(v, 1)[..., None]
    q = num // den
    q -= (q % 2 == 1) & (num % den == 0)
    np.testing.assert_array_equal(out[lit], q[lit])


def test_hsv_merge_keeps_hue_and_saturation_for_floats():
    skimage_color = pytest.importorskip("skimage.color")
    image = _random((50, 60, 3), np.float64, seed=14)
    new = _random((50, 60), np.float64, seed=15)
    out = _round_trip(image, "hsv", new)
    before, after = skimage_color.rgb2hsv(image), skimage_color.rgb2hsv(out)
    np.testing.assert_allclose(after[..., :2], before[..., :2], atol=1e-12)
    np.testing.assert_array_equal(out.max(axis=-1), new)


def test_hsv_merge_keeps_hue_for_bytes_up_to_rounding():
    # Brightened pixels (V' >= V): each sample moves by at most half a level
    # from the exact scaling, so the hue moves by at most 1 / (3 (max - min)).
    skimage_color = pytest.importorskip("skimage.color")
    image = _random((50, 60, 3), np.uint8, seed=16)
    new = np.maximum(image.max(axis=-1), 128).astype(np.uint8)
    out = _round_trip(image, "hsv", new)
    difference = np.abs(skimage_color.rgb2hsv(out)[..., 0] - skimage_color.rgb2hsv(image)[..., 0])
    spread = np.ptp(image, axis=-1).astype(np.float64)
    coloured = spread >= 20
    assert coloured.sum() > 1000
    assert np.all(np.minimum(difference, 1 - difference)[coloured] <= 1 / (3 * spread[coloured]))


# ------------------------------------------------------ scikit-image's HSV


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "coffee"])
def test_skimage_rgb_clahe_through_hsv(name):
    exposure = pytest.importorskip("skimage.exposure")
    image = skimage_image(name)
    value, state = skimage_hsv_split(image)
    skimage_color = pytest.importorskip("skimage.color")
    np.testing.assert_array_equal(value, skimage_color.rgb2hsv(image)[..., 2])
    result = state.merge(exposure.equalize_adapthist(value))
    assert result.dtype == np.float64 and result.shape == image.shape
    np.testing.assert_allclose(result, exposure.equalize_adapthist(image), rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float64])
def test_skimage_hsv_on_random_images(dtype):
    skimage_color = pytest.importorskip("skimage.color")
    image = _random((64, 65, 3), dtype, seed=17)
    image[0, :3] = 0  # black pixels: hsv2rgb gives grey V'
    value, state = skimage_hsv_split(image)
    hsv = skimage_color.rgb2hsv(image)
    np.testing.assert_array_equal(value, hsv[..., 2])
    new = np.sqrt(value)
    hsv[..., 2] = new
    np.testing.assert_allclose(state.merge(new), skimage_color.hsv2rgb(hsv), rtol=0, atol=1e-12)


def test_skimage_hsv_float32_within_float32_rounding():
    skimage_color = pytest.importorskip("skimage.color")
    image = _random((30, 31, 3), np.float32, seed=18)
    value, state = skimage_hsv_split(image)
    assert value.dtype == np.float64
    hsv = skimage_color.rgb2hsv(image)
    np.testing.assert_array_equal(value, hsv[..., 2])
    hsv[..., 2] = np.sqrt(hsv[..., 2])
    np.testing.assert_allclose(state.merge(np.sqrt(value)), skimage_color.hsv2rgb(hsv), atol=1e-6)


def test_skimage_hsv_state_checks_the_shape():
    _, state = skimage_hsv_split(_random((4, 5, 3), np.uint8))
    with pytest.raises(ValueError, match="shape"):
        state.merge(np.zeros((5, 4)))


# ------------------------------------------------------- CIE Lab (floats, uint16)


def _skimage_lab(image: np.ndarray) -> np.ndarray:
    skimage_color = pytest.importorskip("skimage.color")
    return skimage_color.rgb2lab(image)


def _skimage_rgb(lab: np.ndarray) -> np.ndarray:
    skimage_color = pytest.importorskip("skimage.color")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "negative Z values that have been clipped"
        return skimage_color.lab2rgb(lab)


@pytest.mark.parametrize("order", CHANNEL_ORDERS)
def test_lab_float64_against_skimage(order):
    image = _random((70, 90, 3), np.float64, seed=19)
    rgb = image if order == "rgb" else image[..., ::-1]
    lab = _skimage_lab(rgb)
    lum = split_luminance(image, "lab", order=order)
    np.testing.assert_allclose(lum.plane * 100, lab[..., 0], rtol=0, atol=1e-9)
    new = _random(lum.plane.shape, np.float64, seed=20)
    out = np.empty_like(image)
    lum.merge(new, out)
    lab[..., 0] = new * 100
    expected = _skimage_rgb(lab)
    np.testing.assert_allclose(out if order == "rgb" else out[..., ::-1], expected, rtol=0, atol=1e-6)


def test_lab_float32_against_skimage():
    image = _random((40, 50, 3), np.float32, seed=21)
    lab = _skimage_lab(image.astype(np.float64))
    lum = split_luminance(image, "lab")
    assert lum.plane.dtype == np.float32
    np.testing.assert_allclose(lum.plane, lab[..., 0] / 100, rtol=0, atol=1e-6)
    out = np.empty_like(image)
    lum.merge(lum.plane, out)
    np.testing.assert_allclose(out, image, rtol=0, atol=1e-5)  # a round trip through float32 L*


def test_lab_uint16_against_skimage():
    image = _random((80, 70, 3), np.uint16, seed=22)
    lab = _skimage_lab(image)
    lum = split_luminance(image, "lab")
    expected_plane = np.rint(lab[..., 0] / 100 * 65535)
    assert np.abs(lum.plane - expected_plane).max() <= 1  # float ties
    assert np.mean(lum.plane == expected_plane) > 0.999
    new = _random(lum.plane.shape, np.uint16, seed=23)
    out = np.empty_like(image)
    lum.merge(new, out)
    lab[..., 0] = new / 65535 * 100
    expected = np.rint(_skimage_rgb(lab) * 65535)
    assert np.abs(out - expected).max() <= 1
    # unchanged L: the round trip moves a sample by a few levels at most
    lum.merge(lum.plane, out)
    assert np.abs(out.astype(np.int64) - image).max() <= 8


def test_lab_results_stay_in_range():
    image = _random((30, 30, 3), np.float64, seed=24)
    lum = split_luminance(image, "lab")
    out = np.empty_like(image)
    lum.merge(np.ones_like(lum.plane), out)
    assert out.min() >= 0 and out.max() <= 1


# ------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("image", "error", "match"),
    [
        (np.zeros((4, 5, 4), np.uint8), ValueError, "last axis"),
        (np.zeros((4, 5), np.uint8), ValueError, "last axis"),
        (np.zeros((), np.uint8), ValueError, "last axis"),
        (np.zeros((4, 5, 3), np.int8), TypeError, "uint8, uint16, float32 or float64"),
        (np.zeros((4, 5, 3), np.int32), TypeError, "uint8, uint16"),
        (np.zeros((4, 5, 3), np.float16), TypeError, "uint8, uint16"),
        (np.zeros((4, 5, 3), bool), TypeError, "uint8, uint16"),
        (np.zeros((4, 5, 3), ">u2"), TypeError, "byte order"),
        ([[[1, 2, 3]]], TypeError, "numpy array"),
        (np.full((4, 5, 3), 1.5), ValueError, r"\[0, 1\]"),
        (np.full((4, 5, 3), -0.1, np.float32), ValueError, r"\[0, 1\]"),
        (np.full((4, 5, 3), np.nan), ValueError, "NaN"),
    ],
)
@pytest.mark.parametrize("space", LUMINANCE_SPACES)
def test_bad_images(image, error, match, space):
    with pytest.raises(error, match=match):
        split_luminance(image, space)


def test_bad_images_for_skimage_hsv():
    with pytest.raises(ValueError, match="last axis"):
        skimage_hsv_split(np.zeros((4, 5, 4), np.uint8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        skimage_hsv_split(np.full((4, 5, 3), 2.0))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"space": "xyz"}, ValueError, "space must be one of 'ycrcb', 'lab', 'hsv'"),
        ({"space": 3}, TypeError, "space must be a string"),
        ({"space": "lab", "order": "gbr"}, ValueError, "order must be one of 'rgb', 'bgr'"),
        ({"space": "lab", "order": None}, TypeError, "order must be a string"),
    ],
)
def test_bad_space_or_order(kwargs, error, match):
    with pytest.raises(error, match=match):
        split_luminance(np.zeros((2, 2, 3), np.uint8), **kwargs)


def test_bad_merge_arguments():
    image = np.zeros((4, 5, 3), np.uint8)
    lum = split_luminance(image, "ycrcb")
    with pytest.raises(TypeError, match="plane must be a uint8 array; got uint16 array"):
        lum.merge(lum.plane.astype(np.uint16), np.empty_like(image))
    with pytest.raises(TypeError, match="plane must be a uint8 array; got list"):
        lum.merge([[0] * 5] * 4, np.empty_like(image))
    with pytest.raises(ValueError, match=r"plane must have shape \(4, 5\)"):
        lum.merge(lum.plane[:3], np.empty_like(image))
    with pytest.raises(TypeError, match="out must be a uint8 array; got float64 array"):
        lum.merge(lum.plane, np.empty(image.shape))
    with pytest.raises(ValueError, match=r"out must have shape \(4, 5, 3\)"):
        lum.merge(lum.plane, np.empty((5, 4, 3), np.uint8))
    read_only = np.empty_like(image)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        lum.merge(lum.plane, read_only)


@pytest.mark.parametrize("space", LUMINANCE_SPACES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_rgba_colour_parts_in_place_alpha_untouched(space, dtype):
    rgba = _random((7, 9, 4), dtype, seed=25)
    alpha = rgba[..., 3].copy()
    colour = rgba[..., :3]
    expected_lum = split_luminance(np.ascontiguousarray(colour), space)
    new = np.ascontiguousarray(expected_lum.plane.T).T  # another layout, same values
    expected = np.empty(colour.shape, dtype)
    expected_lum.merge(new, expected)
    lum = split_luminance(colour, space)
    np.testing.assert_array_equal(lum.plane, expected_lum.plane)
    lum.merge(new, colour)  # in place: the RGBA image's colour part
    np.testing.assert_array_equal(rgba[..., :3], expected)
    np.testing.assert_array_equal(rgba[..., 3], alpha)
