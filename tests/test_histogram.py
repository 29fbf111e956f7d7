"""histeq.histogram against numpy's own histogram and bincount."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import histeq

INT_DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int8, np.int16])
def test_small_integers_one_bin_per_level_of_the_dtype(dtype):
    info = np.iinfo(dtype)
    image = np.random.default_rng(0).integers(info.min, int(info.max) + 1, (64, 33)).astype(dtype)
    counts, edges = histeq.histogram(image)
    assert counts.dtype == np.int64 and counts.size == 2 ** (8 * image.itemsize)
    np.testing.assert_array_equal(
        counts, np.bincount((image.astype(np.int64) - info.min).ravel(), minlength=counts.size)
    )
    np.testing.assert_array_equal(edges, np.arange(int(info.min), int(info.max) + 2))


@given(st.sampled_from(INT_DTYPES), hnp.array_shapes(min_dims=1, max_dims=3, max_side=10), st.data())
def test_wide_integers_occupied_range(dtype, shape, data):
    info = np.iinfo(dtype)
    low = data.draw(st.integers(int(info.min), int(info.max)))
    high = data.draw(st.integers(low, min(int(info.max), low + 70000)))
    image = data.draw(hnp.arrays(dtype, shape, elements=st.integers(low, high)))
    counts, edges = histeq.histogram(image)
    assert counts.sum() == image.size
    if image.itemsize > 2 and int(image.max()) - int(image.min()) < 65536:
        lo = int(image.min())
        np.testing.assert_array_equal(edges[:2], [lo, lo + 1])
        np.testing.assert_array_equal(counts, np.bincount([int(v) - lo for v in image.ravel()]))
    elif image.itemsize > 2:  # a wide range: 65536 equal bins, as np.histogram
        expected, expected_edges = np.histogram(image, bins=65536)
        np.testing.assert_array_equal(counts, expected)
        np.testing.assert_array_equal(edges, expected_edges)


@given(
    st.sampled_from([np.float16, np.float32, np.float64]),
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=15),
    st.integers(1, 500),
    st.data(),
)
def test_floats_match_np_histogram(dtype, shape, nbins, data):
    width = np.dtype(dtype).itemsize * 8
    bound = 3e4 if dtype == np.float16 else 1e6  # float16 ranges beyond 65504 overflow numpy
    image = data.draw(hnp.arrays(dtype, shape, elements=st.floats(-bound, bound, width=width)))
    value_range = data.draw(
        st.none() | st.tuples(st.floats(-10, 10), st.floats(0, 20)).map(lambda r: (r[0], r[0] + r[1]))
    )
    try:
        expected, expected_edges = np.histogram(image, bins=nbins, range=value_range)
    except ValueError:  # too many bins for the range: histeq raises as well
        with pytest.raises(ValueError, match="nbins"):
            histeq.histogram(image, nbins=nbins, value_range=value_range)
        return
    counts, edges = histeq.histogram(image, nbins=nbins, value_range=value_range)
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(edges, expected_edges)
    assert edges.dtype == expected_edges.dtype


@given(st.sampled_from(INT_DTYPES), st.integers(1, 300), st.data())
def test_integers_with_nbins_match_np_histogram(dtype, nbins, data):
    info = np.iinfo(dtype)
    image = data.draw(hnp.arrays(dtype, (7, 9), elements=st.integers(int(info.min), int(info.max))))
    counts, edges = histeq.histogram(image, nbins=nbins)
    expected, expected_edges = np.histogram(image, bins=nbins)
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(edges, expected_edges)


def test_nan_is_not_counted():
    image = np.array([0.0, np.nan, 1.0, 0.5, np.nan])
    counts, edges = histeq.histogram(image, nbins=2)
    np.testing.assert_array_equal(counts, [1, 2])
    np.testing.assert_array_equal(edges, [0.0, 0.5, 1.0])


def test_mask_counts_only_selected_pixels():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    mask = image % 3 == 0
    counts, _ = histeq.histogram(image, mask=mask)
    assert counts.sum() == mask.sum()
    np.testing.assert_array_equal(np.flatnonzero(counts), [0, 3, 6, 9])


def test_channel_axis_counts_each_channel_with_shared_edges():
    rng = np.random.default_rng(1)
    image = rng.random((20, 3, 30)).astype(np.float32)
    image[:, 1] *= 0.5
    counts, edges = histeq.histogram(image, channel_axis=1, nbins=16)
    assert counts.shape == (3, 16)
    for c in range(3):
        expected, _ = np.histogram(image[:, c], bins=edges)
        np.testing.assert_array_equal(counts[c], expected)
    spatial_mask = rng.random((20, 30)) < 0.5
    masked, _ = histeq.histogram(image, channel_axis=1, nbins=16, mask=spatial_mask)
    np.testing.assert_array_equal(masked.sum(axis=1), [spatial_mask.sum()] * 3)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_counts_beyond_32_bits(dtype):
    # 2**32 + 5 pixels through a zero-stride view (no 4 GB allocation), on one
    # thread, so that one thread's counters pass 2**31 and 2**32.
    from histeq.backends import _threads

    n = 2**32 + 5
    line = np.broadcast_to(dtype(200), (n,))
    threads = _threads.get_num_threads()
    _threads.set_num_threads(1)
    try:
        counts, _ = histeq.histogram(line)
    finally:
        _threads.set_num_threads(threads)
    assert counts.dtype == np.int64
    assert counts[200] == n and counts.sum() == n


def test_integer_value_range_counts_only_inside():
    image = np.arange(256, dtype=np.uint8).reshape(16, 16)
    counts, edges = histeq.histogram(image, value_range=(10, 20))
    np.testing.assert_array_equal(counts, np.ones(11))
    np.testing.assert_array_equal(edges, np.arange(10, 22))
    counts, edges = histeq.histogram(image, value_range=(10, 20), nbins=2)
    expected, expected_edges = np.histogram(image, bins=2, range=(10, 20))
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(edges, expected_edges)


@pytest.mark.parametrize("kind", ["smooth", "noise"])
def test_uint8_fast_paths_match_bincount(kind):
    # Smooth images are counted in pixel pairs, noise 8 pixels per word; both
    # must handle odd lengths and odd start addresses.
    rng = np.random.default_rng(2)
    if kind == "smooth":
        image = (np.add.outer(np.arange(301), np.arange(300)) // 5 % 256).astype(np.uint8)
    else:
        image = rng.integers(0, 256, (301, 300), dtype=np.uint8)
    flat = image.ravel()
    for line in (flat, flat[1:], flat[:-1], flat[3:-2]):
        counts, _ = histeq.histogram(line)
        np.testing.assert_array_equal(counts, np.bincount(line, minlength=256))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_code_table_left_dirty_is_cleared(dtype):
    # A code table (uint8: pixel pairs; uint16: pixels) taken but never read
    # out (an interrupt in between) must not leak counts into the next histogram.
    from histeq.backends.cpu import count

    rng = np.random.default_rng(5)
    image = np.clip(rng.normal(100, 10, (512, 512)), 0, 255).astype(dtype)
    histeq.histogram(image)
    for table in count._code_tables.take():  # counts and carries
        table[:] = 3
    expected = np.bincount(image.ravel(), minlength=2 ** (8 * image.itemsize))
    np.testing.assert_array_equal(histeq.histogram(image).counts, expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_code_table_counts_carry_past_16_bits(dtype):
    # Code tables count in uint16 and carry into uint32: 200000 equal pixels
    # (uint8: 100000 equal pairs) wrap a count, the neighbours do not; the
    # carries must not leak into the next histogram either.
    image = np.zeros((500, 400), dtype)
    image[:, ::2] = 7
    image[0, :10] = np.arange(10)
    expected = np.bincount(image.ravel(), minlength=2 ** (8 * image.itemsize))
    for _ in range(2):
        np.testing.assert_array_equal(histeq.histogram(image).counts, expected)
    small = np.arange(12, dtype=dtype).reshape(3, 4)
    np.testing.assert_array_equal(histeq.histogram(small).counts[:12], np.ones(12))
