"""color= modes of every operation: luminance round trips exact to OpenCV, scikit-image's
RGB CLAHE and joint histogram, alpha kept, masks on the luminance, bad requests named."""

import numpy as np
import pytest

import histeq
from conftest import skimage_image

RNG = np.random.default_rng(18)
COLOUR_IMAGES = ("astronaut", "chelsea", "coffee")


def colour_image(name):
    return skimage_image(name)


def random_rgb(shape, dtype=np.uint8):
    top = np.iinfo(dtype).max
    return RNG.integers(0, top + 1, (*shape, 3), dtype=np.uint64).astype(dtype)


def cv2_round_trip(rgb, space, order, process):
    cv2 = pytest.importorskip("cv2")
    forward, back = {
        ("ycrcb", "rgb"): (cv2.COLOR_RGB2YCrCb, cv2.COLOR_YCrCb2RGB),
        ("ycrcb", "bgr"): (cv2.COLOR_BGR2YCrCb, cv2.COLOR_YCrCb2BGR),
        ("lab", "rgb"): (cv2.COLOR_RGB2Lab, cv2.COLOR_Lab2RGB),
        ("lab", "bgr"): (cv2.COLOR_BGR2Lab, cv2.COLOR_Lab2BGR),
    }[space, order]
    converted = cv2.cvtColor(np.ascontiguousarray(rgb), forward)
    converted[..., 0] = process(np.ascontiguousarray(converted[..., 0]))
    return cv2.cvtColor(converted, back)


@pytest.mark.parametrize("name", COLOUR_IMAGES)
@pytest.mark.parametrize("space", ["ycrcb", "lab"])
@pytest.mark.parametrize("order", ["rgb", "bgr"])
def test_equalize_in_a_colour_space_is_opencvs_round_trip(name, space, order):
    cv2 = pytest.importorskip("cv2")
    rgb = colour_image(name)
    expected = cv2_round_trip(rgb, space, order, cv2.equalizeHist)
    result = histeq.equalize(rgb, channel_axis=-1, color=space, channel_order=order)
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("space", ["ycrcb", "lab"])
@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (33, 1), (64, 65)])
def test_clahe_in_a_colour_space_is_opencvs_round_trip(space, shape):
    cv2 = pytest.importorskip("cv2")
    rgb = random_rgb(shape)
    clahe = cv2.createCLAHE(2.0, (4, 4))
    expected = cv2_round_trip(rgb, space, "rgb", clahe.apply)
    result = histeq.clahe(rgb, clip_limit=2.0, tile_grid=4, channel_axis=-1, color=space)
    np.testing.assert_array_equal(result, expected)


def test_uint16_ycrcb_is_opencvs_round_trip_with_the_plane_equalized_by_histeq():
    rgb = random_rgb((40, 51), np.uint16)
    expected = cv2_round_trip(rgb, "ycrcb", "rgb", histeq.equalize)
    np.testing.assert_array_equal(histeq.equalize(rgb, channel_axis=-1, color="ycrcb"), expected)


def test_constant_and_odd_images_round_trip_as_opencv():
    cv2 = pytest.importorskip("cv2")
    for rgb in (np.full((5, 7, 3), 77, np.uint8), random_rgb((1, 9)), random_rgb((9, 1))):
        expected = cv2_round_trip(rgb, "ycrcb", "rgb", cv2.equalizeHist)
        np.testing.assert_array_equal(histeq.equalize(rgb, channel_axis=-1, color="ycrcb"), expected)


def test_skimage_rgb_clahe_is_reproduced():
    exposure = pytest.importorskip("skimage.exposure")
    rgb = colour_image("astronaut")
    result = histeq.clahe(rgb, channel_axis=-1, color="hsv", method="skimage")
    expected = exposure.equalize_adapthist(rgb)
    assert result.dtype == expected.dtype == np.float64
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-12)


def test_joint_is_skimages_flattened_histogram():
    exposure = pytest.importorskip("skimage.exposure")
    rgb = colour_image("chelsea")
    with pytest.warns(UserWarning, match="color image"):
        expected = exposure.equalize_hist(rgb)
    np.testing.assert_array_equal(histeq.equalize(rgb, channel_axis=-1, color="joint", method="skimage"), expected)
    pooled = histeq.equalize(rgb, channel_axis=-1, color="joint")
    np.testing.assert_array_equal(pooled, histeq.equalize(rgb))  # one mapping for every channel


@pytest.mark.parametrize("space", ["ycrcb", "lab", "hsv"])
def test_alpha_comes_back_byte_identical_and_channel_axis_may_be_first(space):
    rgb = random_rgb((24, 31))
    alpha = RNG.integers(1, 256, (24, 31), dtype=np.uint8)  # no transparent pixel: all are counted
    rgba = np.dstack([rgb, alpha])
    plain = histeq.equalize(rgb, channel_axis=-1, color=space)
    result = histeq.equalize(rgba, channel_axis=-1, color=space)
    np.testing.assert_array_equal(result[..., 3], alpha)
    np.testing.assert_array_equal(result[..., :3], plain)
    first = histeq.equalize(np.moveaxis(rgba, -1, 0), channel_axis=0, color=space)
    np.testing.assert_array_equal(first, np.moveaxis(result, -1, 0))


@pytest.mark.parametrize("space", ["ycrcb", "lab", "hsv", "channels", "joint"])
def test_transparent_pixels_are_not_counted_unless_asked(space):
    rgb = random_rgb((20, 23))
    alpha = RNG.integers(0, 256, (20, 23), dtype=np.uint8)
    alpha[:8] = 0  # a transparent band of grey pixels
    rgb[:8] = 128
    rgba = np.dstack([rgb, alpha])
    options = {"channel_axis": -1, "color": space, "keep_alpha": space in ("channels", "joint")}
    result = histeq.equalize(rgba, **options)
    visible = histeq.equalize(rgba, mask=alpha > 0, count_transparent=True, **options)
    every = histeq.equalize(rgba, count_transparent=True, **options)
    np.testing.assert_array_equal(result, visible)  # alpha 0: not counted, still mapped
    np.testing.assert_array_equal(result[..., 3], alpha)
    assert not np.array_equal(result, every)  # the grey band shapes the histogram when counted
    reference = np.dstack([random_rgb((9, 9)), np.full((9, 9), 255, np.uint8)])
    matched = histeq.match_histograms(rgba, reference, **options)
    np.testing.assert_array_equal(matched, histeq.match_histograms(rgba, reference, mask=alpha > 0, **options))
    if space != "joint":
        specified = histeq.exact_specification(rgba, **options)
        expected = histeq.exact_specification(rgba, mask=alpha > 0, count_transparent=True, **options)
        np.testing.assert_array_equal(specified, expected)


def test_keep_alpha_with_channels_and_joint():
    rgb = random_rgb((16, 17))
    alpha = RNG.integers(1, 256, (16, 17), dtype=np.uint8)
    rgba = np.dstack([rgb, alpha])
    per_channel = histeq.equalize(rgba, channel_axis=-1, keep_alpha=True)
    np.testing.assert_array_equal(per_channel[..., 3], alpha)
    np.testing.assert_array_equal(per_channel[..., :3], histeq.equalize(rgb, channel_axis=-1))
    joint = histeq.equalize(rgba, channel_axis=-1, color="joint", keep_alpha=True)
    np.testing.assert_array_equal(joint[..., :3], histeq.equalize(rgb))
    grey_alpha = np.dstack([rgb[..., 0], alpha])
    kept = histeq.clahe(grey_alpha, clip_limit=2.0, channel_axis=-1, keep_alpha=True)
    np.testing.assert_array_equal(kept[..., 1], alpha)
    np.testing.assert_array_equal(kept[..., 0], histeq.clahe(rgb[..., 0], clip_limit=2.0))


def test_keep_alpha_channels_take_a_mask_of_their_own_per_channel():
    # color="channels": every channel is an image of its own, so is its mask
    # (only colour spaces and joint need the same pixels in every channel).
    rgb = random_rgb((16, 17))
    rgba = np.dstack([rgb, RNG.integers(1, 256, (16, 17), dtype=np.uint8)])
    mask = RNG.random(rgba.shape) < 0.5
    result = histeq.equalize(rgba, channel_axis=-1, keep_alpha=True, mask=mask)
    for channel in range(3):
        expected = histeq.equalize(rgb[..., channel], mask=mask[..., channel])
        np.testing.assert_array_equal(result[..., channel], expected)
    with pytest.raises(ValueError, match="same pixels in every channel"):
        histeq.equalize(rgba, channel_axis=-1, color="joint", keep_alpha=True, mask=mask)


def test_mask_selects_the_luminance_pixels_counted():
    rgb = colour_image("coffee")
    mask = np.zeros(rgb.shape[:2], bool)
    mask[100:300, 50:400] = True
    expected = cv2_round_trip(rgb, "ycrcb", "rgb", lambda y: histeq.equalize(y, mask=mask))
    np.testing.assert_array_equal(histeq.equalize(rgb, channel_axis=-1, color="ycrcb", mask=mask), expected)


def test_match_histograms_matches_luminance_to_the_reference_luminance():
    cv2 = pytest.importorskip("cv2")
    rgb, reference = colour_image("astronaut"), colour_image("coffee")
    ref_y = cv2.cvtColor(reference, cv2.COLOR_RGB2YCrCb)[..., 0]
    expected = cv2_round_trip(rgb, "ycrcb", "rgb", lambda y: histeq.match_histograms(y, ref_y))
    result = histeq.match_histograms(rgb, reference, channel_axis=-1, color="ycrcb")
    np.testing.assert_array_equal(result, expected)


def test_exact_specification_gives_the_luminance_plane_the_target():
    from histeq._core.colour_spaces import split_luminance

    rgb = random_rgb((32, 40))
    result = histeq.exact_specification(rgb, channel_axis=-1, color="hsv")
    luminance = split_luminance(rgb, "hsv")
    expected = np.empty_like(rgb)
    luminance.merge(histeq.exact_specification(luminance.plane), expected)
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(result.max(axis=-1), histeq.exact_specification(rgb.max(axis=-1)))


@pytest.mark.parametrize("space", ["ycrcb", "lab"])
def test_exact_specification_with_a_mask_changes_only_the_selected_pixels(space):
    rgb = random_rgb((30, 33))
    mask = np.zeros(rgb.shape[:2], bool)
    mask[5:20, 3:30] = True
    result = histeq.exact_specification(rgb, channel_axis=-1, color=space, mask=mask)
    np.testing.assert_array_equal(result[~mask], rgb[~mask])
    assert (result[mask] != rgb[mask]).any()


def test_channels_is_the_default_and_keeps_the_fast_path():
    rgb = random_rgb((12, 14))
    np.testing.assert_array_equal(
        histeq.equalize(rgb, channel_axis=-1, color="channels"), histeq.equalize(rgb, channel_axis=-1)
    )


def test_hsv_and_lab_keep_hue_on_a_photo():
    color = pytest.importorskip("skimage.color")
    rgb = colour_image("astronaut")
    hue = color.rgb2hsv(rgb)[..., 0]
    saturated = color.rgb2hsv(rgb)[..., 1] > 0.3

    def hue_shift(**options):
        result = color.rgb2hsv(histeq.equalize(rgb, channel_axis=-1, **options))[..., 0]
        difference = np.abs(result - hue)[saturated]
        return np.median(np.minimum(difference, 1 - difference))

    per_channel = hue_shift()
    for space in ("hsv", "lab"):
        assert hue_shift(color=space) < min(0.02, per_channel / 2), space


def test_input_is_not_modified_and_out_is_used():
    rgb = random_rgb((20, 21))
    before = rgb.copy()
    out = np.empty_like(rgb)
    assert histeq.equalize(rgb, channel_axis=-1, color="lab", out=out) is out
    np.testing.assert_array_equal(rgb, before)
    np.testing.assert_array_equal(out, histeq.equalize(rgb, channel_axis=-1, color="lab"))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda x: histeq.equalize(x, color="lab"), ValueError, "channel_axis"),
        (lambda x: histeq.equalize(x[..., :2], channel_axis=-1, color="ycrcb"), ValueError, "3 .RGB. or 4"),
        (lambda x: histeq.equalize(x, channel_axis=-1, channel_order="bgr"), ValueError, "channel_order"),
        (lambda x: histeq.equalize(x, channel_axis=-1, color="xyz"), ValueError, "color must be one of"),
        (lambda x: histeq.equalize(x, channel_axis=-1, keep_alpha=True), ValueError, "2 .grey.alpha. or 4"),
        (lambda x: histeq.equalize(x, channel_axis=-1, keep_alpha=1), TypeError, "keep_alpha"),
        (lambda x: histeq.equalize(x, channel_axis=-1, color="ycrcb", method="skimage"), ValueError, "dtype"),
        (lambda x: histeq.clahe(x, channel_axis=-1, color="joint"), ValueError, "joint"),
        (lambda x: histeq.exact_specification(x, channel_axis=-1, color="joint"), ValueError, "joint"),
        (lambda x: histeq.clahe(x, channel_axis=-1, color="lab", method="skimage"), ValueError, "hsv"),
        (
            lambda x: histeq.equalize(x.astype(np.float32) / 100, channel_axis=-1, color="lab"),
            ValueError,
            r"\[0, 1\]",
        ),
    ],
)
def test_bad_colour_requests_name_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call(random_rgb((8, 9)))
