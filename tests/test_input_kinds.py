"""Inputs of other kinds than plain native ndarrays: numpy.ma.MaskedArray
(its mask is honoured where an operation has a mask, refused where it has
none), other ndarray subclasses, big-endian dtypes; and value ranges that are
not numbers."""

from __future__ import annotations

import numpy as np
import pytest

import histeq


def sample(dtype=np.uint8, shape=(12, 10), seed=0):
    rng = np.random.default_rng(seed)
    values = rng.normal(0.5, 0.2, shape).clip(0, 1)
    if np.dtype(dtype).kind == "f":
        return values.astype(dtype)
    info = np.iinfo(dtype)
    return (float(info.min) + values * (float(info.max) - float(info.min))).astype(dtype)


def masked(image, seed=1, fraction=0.3):
    hidden = np.random.default_rng(seed).random(image.shape) < fraction
    return np.ma.MaskedArray(image, mask=hidden, fill_value=7)


def assert_same_masked(result, expected, hidden):
    assert isinstance(result, np.ma.MaskedArray)
    np.testing.assert_array_equal(np.ma.getdata(result), expected)
    np.testing.assert_array_equal(np.ma.getmaskarray(result), hidden)


# --- numpy.ma.MaskedArray ------------------------------------------------------


@pytest.mark.parametrize("method", ["opencv", "textbook", "skimage", "matlab", "bbhe", "dsihe"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32])
def test_equalize_counts_the_unmasked_pixels(method, dtype):
    image = masked(sample(dtype))
    hidden = np.ma.getmaskarray(image)
    expected = histeq.equalize(image.data, method=method, mask=~hidden)
    assert_same_masked(histeq.equalize(image, method=method), expected, hidden)
    extra = sample(np.uint8, seed=4) > 90  # an explicit mask too: both apply
    expected = histeq.equalize(image.data, method=method, mask=extra & ~hidden)
    assert_same_masked(histeq.equalize(image, method=method, mask=extra), expected, hidden)


def test_equalize_masked_array_with_channels_and_out():
    image = masked(sample(np.uint8, (8, 9, 3)))
    hidden = np.ma.getmaskarray(image)
    expected = histeq.equalize(image.data, mask=~hidden, channel_axis=-1)
    assert_same_masked(histeq.equalize(image, channel_axis=-1), expected, hidden)
    out = np.empty(image.shape, np.uint8)
    assert histeq.equalize(image, channel_axis=-1, out=out) is out  # out is returned as given
    np.testing.assert_array_equal(out, expected)
    histeq.equalize(image, channel_axis=-1, out=image)  # in place, into its data; the mask stays
    assert_same_masked(image, expected, hidden)


def test_masked_array_result_keeps_the_fill_value_and_its_own_mask():
    image = masked(sample())
    before = np.ma.getmaskarray(image).copy()
    result = histeq.equalize(image)
    assert result.fill_value == 7
    result[~before] = np.ma.masked  # the result's mask is a copy: the input's stays
    np.testing.assert_array_equal(np.ma.getmaskarray(image), before)
    nothing = np.ma.MaskedArray(sample())  # nomask: every pixel counted
    plain = histeq.equalize(nothing)
    assert isinstance(plain, np.ma.MaskedArray) and not np.ma.getmaskarray(plain).any()
    np.testing.assert_array_equal(plain.data, histeq.equalize(sample()))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float64])
def test_histogram_counts_the_unmasked_pixels(dtype):
    image = masked(sample(dtype))
    hidden = np.ma.getmaskarray(image)
    counts, edges = histeq.histogram(image)
    expected_counts, expected_edges = histeq.histogram(image.data, mask=~hidden)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_array_equal(edges, expected_edges)
    extra = sample(np.uint8, seed=5) > 120
    np.testing.assert_array_equal(
        histeq.histogram(image, mask=extra).counts, histeq.histogram(image.data, mask=extra & ~hidden).counts
    )


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32])
def test_match_histograms_counts_the_unmasked_pixels_of_both(dtype):
    image, reference = masked(sample(dtype)), masked(sample(dtype, (7, 9), 2), seed=3)
    hidden, ref_hidden = np.ma.getmaskarray(image), np.ma.getmaskarray(reference)
    expected = histeq.match_histograms(image.data, reference.data, mask=~hidden, reference_mask=~ref_hidden)
    assert_same_masked(histeq.match_histograms(image, reference), expected, hidden)
    plain = histeq.match_histograms(image.data, reference)  # a masked reference alone: a plain result
    assert type(plain) is np.ndarray
    np.testing.assert_array_equal(
        plain, histeq.match_histograms(image.data, reference.data, reference_mask=~ref_hidden)
    )


def test_match_histograms_skimage_method_refuses_masked_pixels():
    image = sample()
    with pytest.raises(ValueError, match="MaskedArray"):
        histeq.match_histograms(masked(image), image, method="skimage")
    with pytest.raises(ValueError, match="reference is a MaskedArray"):
        histeq.match_histograms(image, masked(image), method="skimage")
    unmasked = np.ma.MaskedArray(image, mask=False)
    result = histeq.match_histograms(unmasked, image, method="skimage")
    assert isinstance(result, np.ma.MaskedArray)
    np.testing.assert_array_equal(result.data, histeq.match_histograms(image, image, method="skimage"))


def test_exact_specification_specifies_the_unmasked_pixels():
    image = masked(sample(np.uint8, (20, 16)))
    hidden = np.ma.getmaskarray(image)
    expected = histeq.exact_specification(image.data, mask=~hidden)
    assert_same_masked(histeq.exact_specification(image), expected, hidden)
    np.testing.assert_array_equal(expected[hidden], image.data[hidden])  # masked pixels keep their values
    with pytest.raises(ValueError, match="selects no pixel"):
        histeq.exact_specification(np.ma.MaskedArray(image.data, mask=True))


def test_plan_apply_maps_every_pixel_and_keeps_the_mask():
    image = masked(sample(np.uint16))
    plan = histeq.plan_equalization(histeq.histogram(image).counts, dtype=np.uint16)
    assert_same_masked(plan.apply(image), plan.apply(image.data), np.ma.getmaskarray(image))


@pytest.mark.parametrize("method", ["opencv", "skimage"])
def test_clahe_refuses_a_masked_array_clearly(method):
    with pytest.raises(TypeError, match=r"clahe has no mask.*filled"):
        histeq.clahe(masked(sample()), method=method)


# --- other subclasses and byte orders ----------------------------------------------


def test_ndarray_subclasses_are_read_as_plain_arrays(tmp_path):
    image = sample(np.uint16, (8, 9))
    mapped = np.memmap(tmp_path / "image.raw", dtype=np.uint16, mode="w+", shape=image.shape)
    mapped[...] = image
    with pytest.warns(PendingDeprecationWarning):
        matrix = np.asmatrix(image)
    for other in (mapped, matrix):
        result = histeq.equalize(other)
        assert type(result) is np.ndarray
        np.testing.assert_array_equal(result, histeq.equalize(image))
        np.testing.assert_array_equal(histeq.clahe(other), histeq.clahe(image))
        np.testing.assert_array_equal(histeq.match_histograms(other, other), image)
        np.testing.assert_array_equal(histeq.histogram(other).counts, histeq.histogram(image).counts)
        np.testing.assert_array_equal(histeq.exact_specification(other), histeq.exact_specification(image))
    out = np.memmap(tmp_path / "out.raw", dtype=np.uint16, mode="w+", shape=image.shape)
    assert histeq.equalize(image, out=out) is out
    np.testing.assert_array_equal(out, histeq.equalize(image))


def test_plans_of_big_endian_dtypes_map_images_of_either_byte_order():
    image = sample(np.uint16)
    counts = histeq.histogram(image).counts
    plan = histeq.plan_equalization(counts, dtype=">u2")
    expected = histeq.equalize(image)
    np.testing.assert_array_equal(plan.apply(image), expected)
    np.testing.assert_array_equal(plan.apply(image.astype(">u2")), expected)


# --- value_range ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value_range", [("0", "1"), (0.0, "1"), (b"0", 1.0), (True, 1.0), (0.0, 1j), (None, 1.0), (0.0, [1.0])]
)
@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.int32])
def test_value_range_must_be_numbers(value_range, dtype):
    with pytest.raises(TypeError, match="value_range"):
        histeq.histogram(sample(dtype), value_range=value_range)
    with pytest.raises(TypeError, match="value_range"):
        histeq.plan_equalization(np.ones(256, np.int64), dtype=dtype, nbins=256, value_range=value_range)


def test_value_range_takes_python_and_numpy_numbers():
    image = sample(np.float32)
    expected = histeq.histogram(image, value_range=(0.0, 1.0))
    for value_range in ((0, 1), (np.float32(0), np.float64(1)), (np.int8(0), np.array(1.0)), (0.0, 1)):
        result = histeq.histogram(image, value_range=value_range)
        np.testing.assert_array_equal(result.counts, expected.counts)
    counts = histeq.histogram(sample(np.int32), value_range=(np.int64(-5), 10**9)).counts
    assert counts.sum() > 0
