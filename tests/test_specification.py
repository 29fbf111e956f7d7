"""Histogram specification: MATLAB's histeq rule, BBHE/DSIHE, named targets,
and exact specification (Coltuc, Bolon and Chassery 2006)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import histeq
from histeq._core.plans import specify
from histeq._core.targets import level_counts

INT_DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64]


def smooth(shape=(60, 70), seed=0, dtype=np.uint8):
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(90, 20, shape), 0, 255).astype(dtype)


def assert_monotone(image, result):
    # A higher input value never gets a lower output (equal values may differ).
    order = np.lexsort((result.ravel(), image.ravel()))
    assert np.all(result.ravel()[order][1:] >= result.ravel()[order][:-1])


def matlab_reference(counts, hgram):
    # MATLAB's histeq.m transform, written as its error matrix.
    total = counts.sum()
    cum = np.cumsum(counts)
    cumd = np.cumsum(hgram * total / hgram.sum())
    tol = np.minimum(np.r_[counts[:-1], 0], np.r_[0, counts[1:]]) / 2
    err = cumd[:, None] - cum[None, :] + tol[None, :]
    err[err < -total * np.sqrt(np.finfo(float).eps)] = total
    return np.argmin(err, axis=0)


# ---- method="matlab" and target= -------------------------------------------------


def test_matlab_has_at_most_64_documented_levels():
    result = histeq.equalize(smooth(), method="matlab")
    allowed = np.round(255 * np.arange(64) / 63)
    assert len(np.unique(result)) <= 64
    assert np.isin(result, allowed).all()
    assert_monotone(smooth(), result)


def test_matlab_rule_on_a_hand_made_histogram():
    # Four equal levels, two target levels: cdf - h/2 = N/8, 3N/8, 5N/8, 7N/8.
    image = np.repeat(np.array([10, 20, 30, 40], np.uint8), 5)
    np.testing.assert_array_equal(histeq.equalize(image, target=[1, 1]), np.repeat([0, 0, 255, 255], 5))
    # No tolerance at the first and last bin: level 0 holding half the pixels
    # reaches T[0] = N/2 exactly, level 255 needs the top.
    image = np.repeat(np.array([0, 255], np.uint8), 4)
    np.testing.assert_array_equal(histeq.equalize(image, target=[1, 1]), np.repeat([0, 255], 4))


@given(
    st.lists(st.integers(0, 50), min_size=2, max_size=40).filter(any),
    st.lists(st.integers(0, 9), min_size=1, max_size=20).filter(any),
)
def test_matlab_rule_matches_the_error_matrix(counts, hgram):
    counts, hgram = np.array(counts, np.int64), np.array(hgram, np.float64)
    levels = matlab_reference(counts, hgram)
    expected = np.rint(levels * 255 / max(hgram.size - 1, 1)).astype(np.uint8)
    np.testing.assert_array_equal(specify(counts, hgram, np.dtype(np.uint8)), expected)


@pytest.mark.parametrize(
    "target", ["uniform", "gaussian", ("gaussian", 0.3, 0.05), "rayleigh", ("exponential", 3.0), [0, 2, 1]]
)
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint32, np.float32])
def test_targets_are_monotone_and_in_range(target, dtype):
    image = smooth(dtype=dtype)
    result = histeq.equalize(image, target=target)
    assert result.dtype == dtype
    assert_monotone(image, result)
    if dtype == np.float32:
        assert result.min() >= 0 and result.max() <= 1


def test_gaussian_target_moves_the_histogram():
    result = histeq.equalize(smooth(), target=("gaussian", 0.25, 0.05)).astype(float)
    assert abs(result.mean() - 0.25 * 255) < 8 and result.std() < 0.1 * 255


def test_uniform_target_and_matlab_are_the_same_rule():
    image = smooth()
    np.testing.assert_array_equal(histeq.equalize(image, target=np.ones(64)), histeq.equalize(image, method="matlab"))


# ---- bbhe / dsihe ----------------------------------------------------------------


@pytest.mark.parametrize("method", ["bbhe", "dsihe"])
@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_split_methods_monotone_and_in_range(method, dtype):
    image = smooth(dtype=dtype)
    result = histeq.equalize(image, method=method)
    assert result.dtype == dtype
    assert_monotone(image, result)


@given(st.lists(st.integers(50, 100), min_size=128, max_size=128))
def test_bbhe_keeps_the_mean_of_symmetric_histograms(half):
    # Kim's result (output mean = (mean + middle) / 2) is for broad
    # histograms: a few dominant levels move the discrete mean further.
    counts = np.array(half + half[::-1])
    image = np.repeat(np.arange(256, dtype=np.uint8), counts)
    result = histeq.equalize(image, method="bbhe")
    assert abs(result.mean() - image.mean()) <= 1


def test_split_formulas_on_a_hand_made_image():
    # Levels 10, 20 (mean 17.5 -> split 17), 30: lower half into [0, 17],
    # upper into [18, 255].
    image = np.array([10, 20, 20, 20], np.uint8)
    np.testing.assert_array_equal(histeq.equalize(image, method="bbhe"), [17, 255, 255, 255])
    # DSIHE: median bin 20 (2 * cdf >= 4): [0, 20] holds everything.
    np.testing.assert_array_equal(histeq.equalize(image, method="dsihe"), [5, 20, 20, 20])


@pytest.mark.parametrize("method", ["bbhe", "dsihe"])
def test_split_methods_keep_constant_images(method):
    image = np.full((3, 4), 77, np.uint16)
    np.testing.assert_array_equal(histeq.equalize(image, method=method), image)


# ---- exact specification -----------------------------------------------------------


def lexsort_reference(image, filters):
    # The paper's order from full neighbourhood sums (2-D), ties by position.
    radius = 0 if filters == 1 else max(filters - 2, 1)
    padded = np.pad(image.astype(np.int64), radius, mode="symmetric")
    rows, cols = image.shape

    def shifted(dy, dx):
        return padded[radius + dy : radius + dy + rows, radius + dx : radius + dx + cols]

    keys = [shifted(0, 0)]
    if filters > 1:
        keys.append(sum(shifted(dy, dx) for dy, dx in [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]))
    for r in range(1, filters - 1):
        keys.append(sum(shifted(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1)))
    return np.lexsort([np.arange(image.size)] + [k.ravel() for k in keys[::-1]])


@pytest.mark.parametrize("filters", [1, 2, 3, 6, 8])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint64, np.int64])
def test_order_is_the_papers(filters, dtype):
    rng = np.random.default_rng(filters)
    image = rng.integers(0, 3, (9, 11)).astype(dtype)
    result = histeq.exact_specification(image, filters=filters, target=np.ones(image.size))
    ranks = np.empty(image.size, np.int64)
    ranks[lexsort_reference(image, filters)] = np.arange(image.size)
    expected = histeq.exact_specification(
        np.arange(image.size).reshape(image.shape).astype(dtype), target=np.ones(image.size)
    )
    np.testing.assert_array_equal(result.ravel(), expected.ravel()[ranks])


@pytest.mark.parametrize(
    ("dtype", "offset"),
    [
        (np.uint8, 50),
        (np.uint16, 65535 - 250),
        (np.int32, -(2**31)),
        (np.int64, 2**62 + 12345),
        (np.int64, -(2**63)),
        (np.uint64, 2**64 - 250),
    ],
)
def test_order_depends_on_offsets_from_the_minimum_only(dtype, offset):
    # Narrow ranges of any values are summed in an int32 integral image that
    # wraps modulo 2**32; the order must still be the paper's.
    base = np.random.default_rng(9).integers(0, 200, (11, 13))  # at most 256 pixels: uint8 levels
    image = np.add(base.astype(dtype), dtype(offset))  # no overflow: offset + 199 fits
    flat = np.ones(image.size)  # every pixel its own level: the result shows the whole order
    ranks = np.argsort(histeq.exact_specification(image, target=flat), axis=None, kind="stable")
    np.testing.assert_array_equal(ranks, lexsort_reference(base, 6))


def level_values(dtype, levels):
    # The output value of each of ``levels`` target levels (each pixel of an
    # arange gets its own level).
    return histeq.exact_specification(np.arange(levels).astype(dtype), target=np.ones(levels))


def level_histogram(values, dtype, weights):
    return [(values == level).sum() for level in level_values(dtype, len(weights))]


def int_images(data, dtype, shape):
    info = np.iinfo(dtype)
    return data.draw(hnp.arrays(dtype, shape, elements=st.integers(int(info.min), int(info.max))))


#: Target weights: small whole numbers, at least one positive.
WEIGHTS = st.lists(st.integers(0, 5), min_size=1, max_size=30).filter(any)


@given(st.sampled_from(INT_DTYPES), hnp.array_shapes(min_dims=1, max_dims=3, max_side=7), WEIGHTS, st.data())
def test_exact_histogram_monotone_deterministic(dtype, shape, weights, data):
    image = int_images(data, dtype, shape)
    before = image.copy()
    result = histeq.exact_specification(image, target=weights)
    np.testing.assert_array_equal(image, before)
    assert result.dtype == dtype and result.shape == image.shape
    counts = level_histogram(result, dtype, weights)
    np.testing.assert_array_equal(counts, level_counts(np.array(weights, float), image.size))
    assert_monotone(image, result)
    np.testing.assert_array_equal(histeq.exact_specification(image, target=weights), result)


def test_flat_default_spreads_the_remainder_evenly():
    image = smooth((50, 51))  # 2550 pixels over 256 levels: 246 x 10, 10 x 9... evenly
    counts = np.bincount(histeq.exact_specification(image).ravel(), minlength=256)
    assert counts.sum() == image.size and set(counts.tolist()) == {9, 10}
    np.testing.assert_array_equal(counts, level_counts(np.ones(256), image.size))


def test_counts_as_target_are_met_exactly():
    image = smooth((30, 40))
    target = np.zeros(256, np.int64)
    target[[10, 100, 200]] = [600, 500, 100]
    result = histeq.exact_specification(image, target=target)
    np.testing.assert_array_equal(np.bincount(result.ravel(), minlength=256), target)


def test_volumes_and_layouts():
    volume = smooth((6, 20, 30))
    result = histeq.exact_specification(volume)
    np.testing.assert_array_equal(histeq.exact_specification(np.asfortranarray(volume)), result)
    assert np.ptp(np.bincount(result.ravel(), minlength=256)) <= 1


@given(st.sampled_from(INT_DTYPES), hnp.array_shapes(min_dims=2, max_dims=4, max_side=6), WEIGHTS, st.data())
def test_channels_are_specified_independently(dtype, shape, weights, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    image = int_images(data, dtype, shape)
    before = image.copy()
    result = histeq.exact_specification(image, target=weights, channel_axis=axis)
    np.testing.assert_array_equal(image, before)
    assert result.dtype == dtype and result.shape == image.shape and result.flags.c_contiguous
    for c in range(shape[axis]):
        channel = np.take(image, c, axis=axis)
        got = np.take(result, c, axis=axis)
        np.testing.assert_array_equal(got, histeq.exact_specification(channel, target=weights))
        np.testing.assert_array_equal(
            level_histogram(got, dtype, weights), level_counts(np.array(weights, float), channel.size)
        )


@given(st.sampled_from(INT_DTYPES), hnp.array_shapes(min_dims=1, max_dims=3, max_side=7), WEIGHTS, st.data())
def test_mask_specifies_only_the_selected_pixels(dtype, shape, weights, data):
    from histeq.specification import strict_order

    image = int_images(data, dtype, shape)
    mask = data.draw(hnp.arrays(np.bool_, shape))
    assume(mask.any())
    before = image.copy()
    result = histeq.exact_specification(image, target=weights, mask=mask)
    np.testing.assert_array_equal(image, before)
    assert result.dtype == dtype and result.shape == image.shape
    np.testing.assert_array_equal(result[~mask], image[~mask])  # untouched
    counts = level_counts(np.array(weights, float), int(mask.sum()))
    np.testing.assert_array_equal(level_histogram(result[mask], dtype, weights), counts)
    assert_monotone(image[mask], result[mask])
    # The selected pixels in the whole image's strict order (neighbourhoods
    # of every pixel, masked or not) get the levels by rank.
    full = strict_order(image, 6, np.arange(1, image.size))  # every rank exact
    expected = image.copy().reshape(-1)
    expected[full[mask.reshape(-1)[full]]] = np.repeat(level_values(dtype, len(weights)), counts)
    np.testing.assert_array_equal(result.reshape(-1), expected)


def test_masks_with_channels():
    rgb = np.stack([smooth(seed=s) for s in range(3)], axis=-1)
    spatial = np.random.default_rng(4).random(rgb.shape[:2]) < 0.4
    per_channel = np.stack([spatial, ~spatial, np.ones_like(spatial)], axis=-1)
    for mask in (spatial, per_channel):
        result = histeq.exact_specification(rgb, channel_axis=-1, mask=mask, target="gaussian")
        full = np.broadcast_to(mask[..., None], rgb.shape) if mask.ndim == 2 else mask
        for c in range(3):
            np.testing.assert_array_equal(
                result[..., c], histeq.exact_specification(rgb[..., c], mask=full[..., c], target="gaussian")
            )
    # A mask that selects everything is no mask.
    np.testing.assert_array_equal(
        histeq.exact_specification(rgb, channel_axis=2, mask=np.ones(rgb.shape[:2], bool)),
        histeq.exact_specification(rgb, channel_axis=2),
    )


# ---- errors ---------------------------------------------------------------------


@pytest.mark.parametrize("func", [histeq.equalize, histeq.exact_specification])
@pytest.mark.parametrize(
    ("target", "error", "match"),
    [
        ([1, -1], ValueError, "non-negative"),
        ([0, 0], ValueError, "all zero"),
        ([1, np.nan], ValueError, "finite"),
        (np.ones((2, 2)), ValueError, "1-D"),
        ([], ValueError, "1-D"),
        ("laplace", ValueError, "target"),
        (("gaussian", 0.5), ValueError, "parameter"),
        (("gaussian", 1.5, 0.1), ValueError, "mean"),
        (("rayleigh", -1), ValueError, "rayleigh"),
        (("exponential", "x"), TypeError, "target"),
        ([True, False], TypeError, "target"),
        (object(), TypeError, "target"),
    ],
)
def test_bad_targets(func, target, error, match):
    with pytest.raises(error, match=match):
        func(np.arange(12, dtype=np.uint8).reshape(3, 4), target=target)


def test_target_needs_the_matlab_rule():
    with pytest.raises(ValueError, match="target"):
        histeq.equalize(np.arange(12, dtype=np.uint8), method="bbhe", target="uniform")


@pytest.mark.parametrize(
    ("image", "kwargs", "error", "match"),
    [
        (np.ones((3, 3), np.float32), {}, TypeError, "integer"),
        (np.ones((2, 2, 2, 2), np.uint8), {}, ValueError, "3-D"),
        (np.ones((3, 3), np.uint8), {"filters": 0}, ValueError, "filters"),
        (np.ones((3, 3), np.uint8), {"filters": 2.0}, TypeError, "filters"),
        (np.ones((3, 3), np.uint8), {"mask": np.ones((3, 4), bool)}, ValueError, "mask must have the image's shape"),
        (np.ones((3, 3), np.uint8), {"mask": np.ones((3, 3), np.uint8)}, TypeError, "mask must be a boolean"),
        (np.ones((3, 3), np.uint8), {"mask": np.zeros((3, 3), bool)}, ValueError, "mask selects no pixel"),
        (
            np.ones((3, 3, 2), np.uint8),
            {"channel_axis": 2, "mask": np.eye(3, 2, dtype=bool)},
            ValueError,
            "mask must have the image's shape",
        ),
        (
            np.ones((3, 3, 2), np.uint8),
            {"channel_axis": -1, "mask": np.dstack([np.ones((3, 3), bool), np.zeros((3, 3), bool)])},
            ValueError,
            "mask selects no pixel of channel 1",
        ),
        (np.ones(5, np.uint8), {"channel_axis": 0}, ValueError, "channel_axis"),
        (np.ones((3, 3), np.uint8), {"channel_axis": 2}, ValueError, "channel_axis"),
        (np.ones((3, 3), np.uint8), {"channel_axis": True}, TypeError, "channel_axis"),
        (np.ones((2, 2, 2, 2, 3), np.uint8), {"channel_axis": -1}, ValueError, "3-D besides channel_axis"),
    ],
)
def test_exact_specification_errors(image, kwargs, error, match):
    with pytest.raises(error, match=match):
        histeq.exact_specification(image, **kwargs)
