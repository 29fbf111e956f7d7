"""32- and 64-bit integers near their dtype's extremes and in the middle:
levels are exact (float64 holds int64 levels near 2**63 only 2048 apart), in
every operation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import histeq

WIDE = (np.int64, np.uint64, np.int32, np.uint32)


def at(dtype, where: str) -> int:
    """A base level of ``dtype``: its minimum, the middle, or 100 below the top."""
    info = np.iinfo(dtype)
    return {"min": int(info.min), "mid": (int(info.min) + int(info.max)) // 2, "max": int(info.max) - 100}[where]


def levels(dtype, base: int, offsets) -> np.ndarray:
    """``base + offsets`` exactly, as an array of ``dtype``."""
    return np.array([base + int(k) for k in np.ravel(offsets)], dtype=object).astype(dtype).reshape(np.shape(offsets))


def skewed(seed=0, shape=(9, 11), top=60):
    """Small non-negative offsets with an uneven histogram."""
    return np.random.default_rng(seed).integers(0, top, shape) ** 2 // top


CASES = [
    pytest.param(dtype, where, id=f"{np.dtype(dtype)}-{where}") for dtype in WIDE for where in ("min", "mid", "max")
]


# --- match_histograms ---------------------------------------------------------


def test_issue_examples():
    x = np.full((4, 4), 12345, np.int64)
    np.testing.assert_array_equal(histeq.match_histograms(x, x), x)  # was 12288
    x = np.array([40000, 40001] * 8, np.int64)
    np.testing.assert_array_equal(histeq.match_histograms(x, x), x)  # both were 40960
    expected = np.arange(10) * 10 + 9  # level k of 10 -> the reference's (k + 1) / 10 quantile
    np.testing.assert_array_equal(histeq.match_histograms(np.arange(10), np.arange(100)), expected)


@pytest.mark.parametrize(("dtype", "where"), CASES)
def test_matching_to_itself_returns_the_image(dtype, where):
    image = levels(dtype, at(dtype, where), skewed())
    result = histeq.match_histograms(image, image)
    assert result.dtype == image.dtype
    np.testing.assert_array_equal(result, image)


@pytest.mark.parametrize(("dtype", "where"), CASES)
@pytest.mark.parametrize("ref_dtype", WIDE)
def test_matching_gives_the_reference_quantiles_exactly(dtype, where, ref_dtype):
    # Ten levels counted once each against a hundred: level k maps to the
    # reference's (10 k + 9)-th level, exactly, wherever the levels lie.
    image = levels(dtype, at(dtype, where), np.arange(10))
    ref_base = at(ref_dtype, where)
    reference = levels(ref_dtype, ref_base, np.arange(100)[::-1])
    info = np.iinfo(dtype)
    expected = [min(max(ref_base + 10 * k + 9, int(info.min)), int(info.max)) for k in range(10)]
    result = histeq.match_histograms(image, reference)
    assert result.dtype == image.dtype
    assert [int(v) for v in result] == expected


@pytest.mark.parametrize("dtype", (np.int64, np.int32))
@pytest.mark.parametrize("where", ("min", "mid", "max"))
def test_ties_round_half_to_even_on_the_level_not_the_offset(dtype, where):
    # F = 0.75 falls halfway between the reference levels b and b + 1
    # (G = 0.5, 1.0): b + 0.5 rounds to whichever of them is even.
    image = np.array([0, 0, 0, 1], np.uint8)
    for base in (at(dtype, where), at(dtype, where) + 1):
        reference = levels(dtype, base, [0, 1])
        expected = base if base % 2 == 0 else base + 1
        result = histeq.match_histograms(image.astype(dtype), reference)
        assert int(result[0]) == expected and int(result[3]) == base + 1


def test_references_outside_the_dtype_are_clipped_exactly():
    top64, top_u64 = 2**63 - 1, 2**64 - 1
    image = np.arange(10, dtype=np.int64)
    high = levels(np.uint64, top_u64 - 99, np.arange(100))  # above every int64
    assert (histeq.match_histograms(image, high) == top64).all()
    near = levels(np.uint64, 2**63 - 50, np.arange(100))  # half of it fits
    result = [int(v) for v in histeq.match_histograms(image, near)]
    assert result == [min(2**63 - 50 + 10 * k + 9, top64) for k in range(10)]
    negative = levels(np.int64, -(2**63), np.arange(100))
    assert (histeq.match_histograms(image.astype(np.uint64), negative) == 0).all()
    small = histeq.match_histograms(np.arange(10, dtype=np.int8), levels(np.int64, 120, np.arange(100)))
    assert [int(v) for v in small] == [min(129 + 10 * k, 127) for k in range(10)]


@pytest.mark.parametrize(("dtype", "where"), CASES)
def test_wide_references_in_equal_bins_stay_in_their_range(dtype, where):
    # More than 65536 levels: equal bins, values relative to the occupied
    # range; results lie in it, monotone, never wrapped around.
    base = at(dtype, where) if where != "max" else int(np.iinfo(dtype).max) - 10**6
    if where == "min":
        base = int(np.iinfo(dtype).min)
    rng = np.random.default_rng(1)
    reference = levels(dtype, base, np.sort(rng.integers(0, 10**6 + 1, 500)))
    image = levels(dtype, base, skewed(2, (20, 30), 300))
    result = histeq.match_histograms(image, reference)
    values = [int(v) for v in result.ravel()]
    assert min(values) >= base and max(values) <= base + 10**6
    pairs = sorted(zip((int(v) for v in image.ravel()), values))  # monotone: sorted by input, then output
    assert all(a[1] <= b[1] for a, b in itertools.pairwise(pairs))
    # the highest level reaches the reference's top, exactly
    assert max(values) == int(reference.max())


@pytest.mark.parametrize(("dtype", "where"), CASES)
def test_float_images_get_values_of_wide_references(dtype, where):
    reference = levels(dtype, at(dtype, where), np.arange(100))
    result = histeq.match_histograms(np.linspace(0, 1, 50), reference)
    low, high = float(int(reference.min())), float(int(reference.max()))
    assert result.min() >= low and result.max() <= high


# --- every other operation: results do not depend on where the levels lie ------


@pytest.mark.parametrize(("dtype", "where"), CASES)
@pytest.mark.parametrize("method", ("opencv", "textbook", "skimage", "matlab", "bbhe", "dsihe"))
def test_equalize_depends_on_the_histogram_only(dtype, where, method):
    offsets = skewed(3)
    expected = histeq.equalize(levels(dtype, at(dtype, "min"), offsets), method=method)
    image = levels(dtype, at(dtype, where), offsets)
    result = histeq.equalize(image, method=method)
    np.testing.assert_array_equal(result, expected)
    counts, _ = histeq.histogram(image)
    plan = histeq.plan_equalization(
        counts, dtype=image.dtype, method=method, value_range=(int(image.min()), int(image.max()))
    )
    np.testing.assert_array_equal(plan.apply(image), expected)


@pytest.mark.parametrize(("dtype", "where"), CASES)
def test_histogram_counts_every_level_exactly(dtype, where):
    offsets = skewed(4)
    base = at(dtype, where)
    counts, edges = histeq.histogram(levels(dtype, base, offsets))
    np.testing.assert_array_equal(counts, np.bincount(offsets.ravel()))
    if abs(base) < 2**53:  # float64 edges are exact there
        np.testing.assert_array_equal(edges, base + np.arange(offsets.max() + 2, dtype=np.float64))


@pytest.mark.parametrize(("dtype", "where"), CASES)
def test_histogram_equal_bins_are_numpys(dtype, where):
    image = levels(dtype, at(dtype, where) - (10**6 if where == "max" else 0), skewed(5, top=10**6))
    counts, edges = histeq.histogram(image, nbins=37)
    expected_counts, expected_edges = np.histogram(image, bins=37)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_array_equal(edges, expected_edges)


@pytest.mark.parametrize(("dtype", "where"), CASES)
def test_clahe_depends_on_the_levels_relative_to_the_minimum(dtype, where):
    offsets = skewed(6, (24, 20))
    expected = histeq.clahe(levels(dtype, at(dtype, "min"), offsets), clip_limit=2.0, tile_grid=(3, 2))
    result = histeq.clahe(levels(dtype, at(dtype, where), offsets), clip_limit=2.0, tile_grid=(3, 2))
    np.testing.assert_array_equal(result, expected)
    info = np.iinfo(dtype)
    assert int(result.min()) >= int(info.min) and int(result.max()) == int(info.max)


@pytest.mark.parametrize(("dtype", "where"), CASES)
def test_exact_specification_depends_on_the_levels_relative_to_the_minimum(dtype, where):
    offsets = skewed(7)
    expected = histeq.exact_specification(levels(dtype, at(dtype, "min"), offsets))
    image = levels(dtype, at(dtype, where), offsets)
    np.testing.assert_array_equal(histeq.exact_specification(image), expected)
    mask = offsets > 10
    masked = histeq.exact_specification(image, mask=mask)
    np.testing.assert_array_equal(masked[~mask], image[~mask])
    np.testing.assert_array_equal(masked[mask], histeq.exact_specification(levels(dtype, 0, offsets), mask=mask)[mask])


# --- more than 65536 levels beyond +-2**53: the default equal bins -------------------


@pytest.mark.parametrize(
    ("dtype", "base"),
    [(np.int64, -(2**63)), (np.int64, 2**62 + 1), (np.int64, 2**63 - 10**6 - 1), (np.uint64, 2**64 - 10**6 - 1)],
)
def test_default_equal_bins_of_huge_levels_are_the_bins_of_their_offsets(dtype, base):
    # float64 cannot make 65536 distinct edges over a million levels near
    # 2**63 (they were a ValueError, "use a smaller nbins", also where there
    # is no nbins): histeq bins the exact offsets from the minimum instead,
    # the bins of the same image moved down to 0.
    offsets = np.random.default_rng(9).integers(0, 10**6 + 1, (30, 40))
    offsets[0, 0], offsets[-1, -1] = 0, 10**6
    image, moved = levels(dtype, base, offsets), offsets.astype(np.int64)
    np.testing.assert_array_equal(histeq.histogram(image).counts, histeq.histogram(moved).counts)
    for method in ("opencv", "textbook", "skimage", "matlab", "bbhe", "dsihe"):
        expected = histeq.equalize(moved.astype(dtype), method=method)
        np.testing.assert_array_equal(histeq.equalize(image, method=method), expected)
        counts = histeq.histogram(image).counts
        plan = histeq.plan_equalization(counts, dtype=dtype, method=method, value_range=(base, base + 10**6))
        np.testing.assert_array_equal(plan.apply(image), expected)
    np.testing.assert_array_equal(histeq.clahe(image, tile_grid=2), histeq.clahe(moved.astype(dtype), tile_grid=2))
    matched = np.array([int(v) - base for v in histeq.match_histograms(image, image).ravel()])
    moved_matched = histeq.match_histograms(moved, moved).ravel()
    if base % 2 == 0:
        np.testing.assert_array_equal(matched, moved_matched)
    else:  # ties round to the even level: a different offset for an odd base
        assert np.abs(matched - moved_matched).max() <= 1
    mask = offsets > 5000  # masked out pixels below the counted range are mapped too
    np.testing.assert_array_equal(histeq.equalize(image, mask=mask), histeq.equalize(moved.astype(dtype), mask=mask))
