"""Properties that hold for every method, dtype and layout."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import histeq

INT_DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64]
FLOAT_DTYPES = [np.float16, np.float32, np.float64]
METHODS_FOR = {
    **{np.dtype(d): ("opencv", "textbook", "skimage", "matlab", "bbhe", "dsihe") for d in INT_DTYPES + FLOAT_DTYPES},
    np.dtype(np.uint8): ("opencv", "textbook", "skimage", "pillow", "matlab", "bbhe", "dsihe"),
}


def sample(dtype, shape=(17, 23), seed=0):
    """A smooth-plus-noise image of ``dtype`` spanning part of its range."""
    rng = np.random.default_rng(seed)
    base = rng.normal(0.5, 0.15, shape).clip(0, 1)
    if np.dtype(dtype).kind == "f":
        return base.astype(dtype)
    info = np.iinfo(dtype)
    low, high = float(info.min) / 4, float(info.max) / 4
    return np.round(low + base * (high - low)).astype(dtype)


def all_cases():
    return [
        pytest.param(dtype, method, id=f"{dtype}-{method}")
        for dtype, methods in METHODS_FOR.items()
        for method in methods
    ]


@pytest.mark.parametrize(("dtype", "method"), all_cases())
def test_monotone_in_range_and_input_untouched(dtype, method):
    image = sample(dtype)
    before = image.copy()
    result = histeq.equalize(image, method=method)
    np.testing.assert_array_equal(image, before)
    assert result.shape == image.shape
    order = np.argsort(image, axis=None, kind="stable")
    assert np.all(np.diff(result.ravel()[order].astype(np.float64)) >= 0)
    if result.dtype.kind == "f":
        assert result.min() >= 0.0 and result.max() <= 1.0
    if method == "opencv" and dtype.kind in "iu":
        info = np.iinfo(dtype)  # lowest level -> dtype min, highest -> dtype max
        assert result.min() == info.min and result.max() == info.max


@pytest.mark.parametrize(("dtype", "method"), all_cases())
def test_layouts_give_identical_results(dtype, method):
    image = sample(dtype, (12, 14, 3))
    expected = histeq.equalize(image, method=method)
    fortran = np.asfortranarray(image)
    result = histeq.equalize(fortran, method=method)
    np.testing.assert_array_equal(result, expected)
    assert result.flags.f_contiguous
    readonly = image.copy()
    readonly.flags.writeable = False
    np.testing.assert_array_equal(histeq.equalize(readonly, method=method), expected)
    swapped = image.astype(image.dtype.newbyteorder(">" if np.little_endian else "<"))
    np.testing.assert_array_equal(histeq.equalize(swapped, method=method), expected)
    transposed = np.ascontiguousarray(image.transpose(2, 0, 1)).transpose(1, 2, 0)
    np.testing.assert_array_equal(histeq.equalize(transposed, method=method), expected)
    # Non-contiguous views: same as equalizing a contiguous copy of the view.
    big = sample(dtype, (30, 40, 3), seed=1)
    for view in (big[::2, 1::3], big[::-1], big[:, ::-2, 1:]):
        np.testing.assert_array_equal(
            histeq.equalize(view, method=method), histeq.equalize(np.ascontiguousarray(view), method=method)
        )


@pytest.mark.parametrize(("dtype", "method"), all_cases())
def test_channel_axis_equalizes_each_channel_alone(dtype, method):
    image = sample(dtype, (9, 4, 11))
    for axis in (0, 1, 2, -1):
        result = histeq.equalize(image, method=method, channel_axis=axis)
        for c in range(image.shape[axis]):
            alone = histeq.equalize(np.take(image, c, axis=axis), method=method)
            np.testing.assert_array_equal(np.take(result, c, axis=axis), alone)


@pytest.mark.parametrize(("dtype", "method"), all_cases())
def test_volumes_and_batches_are_one_histogram(dtype, method):
    volume = sample(dtype, (5, 6, 7))
    np.testing.assert_array_equal(
        histeq.equalize(volume, method=method),
        histeq.equalize(volume.reshape(-1), method=method).reshape(volume.shape),
    )


@pytest.mark.parametrize(("dtype", "method"), all_cases())
def test_out_and_in_place(dtype, method):
    image = sample(dtype)
    expected = histeq.equalize(image, method=method)
    out = np.empty_like(expected, order="F")
    assert histeq.equalize(image, method=method, out=out) is out
    np.testing.assert_array_equal(out, expected)
    if expected.dtype == image.dtype:
        inplace = image.copy()
        histeq.equalize(inplace, method=method, out=inplace)
        np.testing.assert_array_equal(inplace, expected)


@pytest.mark.parametrize(("dtype", "method"), all_cases())
def test_masks(dtype, method):
    image = sample(dtype)
    everything = np.ones(image.shape, bool)
    np.testing.assert_array_equal(
        histeq.equalize(image, method=method, mask=everything), histeq.equalize(image, method=method)
    )
    nothing = np.zeros(image.shape, bool)
    if method == "skimage":
        with pytest.raises(ValueError, match="counted pixel"):
            histeq.equalize(image, method=method, mask=nothing)
    else:
        np.testing.assert_array_equal(histeq.equalize(image, method=method, mask=nothing), image)


@pytest.mark.parametrize("dtype", INT_DTYPES + FLOAT_DTYPES)
def test_constant_and_single_pixel_images(dtype):
    for image in (np.full((4, 5), 3, dtype), np.full((1,), 3, dtype)):
        np.testing.assert_array_equal(histeq.equalize(image), image)
        top = 1.0 if np.dtype(dtype).kind == "f" else np.iinfo(dtype).max
        np.testing.assert_array_equal(histeq.equalize(image, method="textbook"), np.full(image.shape, top, dtype))
    if dtype == np.uint8:
        np.testing.assert_array_equal(histeq.equalize(image, method="pillow"), image)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_nan_stays_nan_and_is_ignored(dtype):
    image = sample(dtype)
    holes = image.copy()
    holes[::3, ::2] = np.nan
    result = histeq.equalize(holes)
    assert result.dtype == dtype
    np.testing.assert_array_equal(np.isnan(result), np.isnan(holes))
    finite = ~np.isnan(holes)
    np.testing.assert_array_equal(result[finite], histeq.equalize(holes[finite]))


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64])
def test_signed_integers_match_shifted_unsigned(dtype):
    # The formula only depends on levels relative to the dtype minimum.
    unsigned = np.dtype(dtype.__name__.replace("int", "uint"))
    image = sample(dtype)
    shift = np.uint64(2 ** (8 * image.itemsize - 1))
    as_unsigned = (image.astype(np.int64).astype(np.uint64) + shift).astype(unsigned)
    for method in ("opencv", "textbook"):
        back = (histeq.equalize(as_unsigned, method=method).astype(np.uint64) - shift).astype(np.int64)
        np.testing.assert_array_equal(histeq.equalize(image, method=method).astype(np.int64), back)


def test_uint16_opencv_formula():
    image = sample(np.uint16, (40, 50))
    _, inverse, counts = np.unique(image, return_inverse=True, return_counts=True)
    cdf = np.cumsum(counts)
    expected = np.rint((cdf - counts[0]) * (65535 / (image.size - counts[0]))).astype(np.uint16)
    np.testing.assert_array_equal(histeq.equalize(image), expected[inverse].reshape(image.shape))


def test_64_bit_extremes_reach_both_ends():
    for dtype in (np.uint64, np.int64):
        info = np.iinfo(dtype)
        image = np.array([info.min, info.max, info.max, 0], dtype)
        result = histeq.equalize(image)
        assert result[0] == info.min and result[1] == info.max and result.dtype == dtype


def test_wide_uint32_uses_equal_bins_and_stays_monotone():
    rng = np.random.default_rng(5)
    image = rng.integers(0, 2**32, (64, 64), dtype=np.uint64).astype(np.uint32)
    result = histeq.equalize(image)
    order = np.argsort(image, axis=None)
    assert np.all(np.diff(result.ravel()[order].astype(np.int64)) >= 0)
    assert result.max() == np.iinfo(np.uint32).max


@given(
    st.sampled_from(INT_DTYPES),
    hnp.array_shapes(min_dims=1, max_dims=4, max_side=6),
    st.sampled_from(["opencv", "textbook", "skimage", "matlab", "bbhe", "dsihe"]),
    st.data(),
)
def test_random_integers_monotone_and_counts(dtype, shape, method, data):
    info = np.iinfo(dtype)
    image = data.draw(hnp.arrays(dtype, shape, elements=st.integers(int(info.min), int(info.max))))
    result = histeq.equalize(image, method=method)
    order = np.argsort(image, axis=None, kind="stable")
    sorted_out = result.ravel()[order]
    assert all(a <= b for a, b in zip(sorted_out.tolist(), sorted_out[1:].tolist()))
    counts, _ = histeq.histogram(image)
    assert counts.sum() == image.size


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint32, np.float32])
def test_nbins_groups_levels(dtype):
    image = sample(dtype, (40, 50))
    result = histeq.equalize(image, nbins=16)
    assert np.unique(result).size <= 16
    order = np.argsort(image, axis=None, kind="stable")
    assert np.all(np.diff(result.ravel()[order].astype(np.float64)) >= 0)
    # Pixels in one bin (np.histogram's bins over the occupied range) share one output.
    _, edges = np.histogram(image, bins=16)
    bins = np.clip(np.searchsorted(edges, image, side="right") - 1, 0, 15)
    for b in np.unique(bins):
        assert np.unique(result[bins == b]).size == 1


def _opencv_float_reference(image, nbins, mask):
    # The documented formula over np.histogram's bins, each pixel placed by its
    # edges (np.digitize), out-of-range pixels clamped, NaN kept.
    counted = np.isfinite(image) & mask
    counts, edges = np.histogram(image[counted], bins=nbins)
    first = counts[np.flatnonzero(counts)[0]]
    lut = np.clip((np.cumsum(counts) - first) / (counts.sum() - first), 0, 1)
    expected = lut[np.clip(np.digitize(image, edges[1:-1]), 0, nbins - 1)].astype(image.dtype)
    expected[np.isnan(image)] = np.nan
    return expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nbins", [7, 256, 5000])
def test_large_float_images_match_the_formula(dtype, nbins):
    # Large enough for the lookup grid and the per-pixel bin codes.
    rng = np.random.default_rng(nbins)
    image = (rng.normal(0.4, 0.1, (600, 500)) ** 3).astype(dtype)
    image[rng.random(image.shape) < 0.01] = np.nan
    mask = rng.random(image.shape) < 0.7
    mask[:, :20] = False
    image[:, :20] = 5.0  # outside the masked range: mapped to the top
    result = histeq.equalize(image, nbins=nbins, mask=mask)
    np.testing.assert_array_equal(result, _opencv_float_reference(image, nbins, mask))
    counts, _ = histeq.histogram(image, nbins=nbins, mask=mask)
    np.testing.assert_array_equal(counts, np.histogram(image[mask & np.isfinite(image)], bins=nbins)[0])


def test_large_wide_integer_image_in_equal_bins():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 2**32, (600, 500), dtype=np.uint64).astype(np.uint32)
    counts, edges = np.histogram(image, bins=300)
    first = counts[np.flatnonzero(counts)[0]]
    top = float(np.iinfo(np.uint32).max)
    lut = np.rint((np.cumsum(counts) - first) * (top / (image.size - first))).astype(np.uint32)
    expected = lut[np.clip(np.digitize(image, edges[1:-1]), 0, 299)]
    np.testing.assert_array_equal(histeq.equalize(image, nbins=300), expected)


def test_concurrent_calls_from_several_threads():
    from concurrent.futures import ThreadPoolExecutor

    data = pytest.importorskip("skimage.data")
    images = [data.camera(), data.moon(), np.ascontiguousarray(data.astronaut()[..., 1])] * 3
    expected = [histeq.equalize(image) for image in images]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(histeq.equalize, images))
    for result, reference in zip(results, expected):
        np.testing.assert_array_equal(result, reference)
