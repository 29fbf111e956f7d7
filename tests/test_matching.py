"""``histeq.match_histograms``: scikit-image to the bit, and the properties of
the "histeq" method against a plain numpy version of its documented formula."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import histeq
from conftest import SKIMAGE_IMAGES, skimage_image
from histeq.io import read_image, write_image

DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)


def sk_match(image: np.ndarray, reference: np.ndarray, **kwargs) -> np.ndarray:
    """scikit-image's match_histograms; the calling test skips without scikit-image."""
    return pytest.importorskip("skimage.exposure").match_histograms(image, reference, **kwargs)


def random_image(rng: np.random.Generator, shape: tuple[int, ...], dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return (rng.normal(size=shape) * rng.uniform(0.1, 100)).astype(dtype)
    info = np.iinfo(dtype)
    low = int(rng.integers(info.min, info.max))
    high = int(rng.integers(low, info.max, endpoint=True))
    return rng.integers(low, high, size=shape, endpoint=True).astype(dtype)


@st.composite
def pairs(draw, dtypes=DTYPES, channels=True):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from(dtypes))
    ref_dtype = draw(st.sampled_from((dtype,) + tuple(d for d in dtypes if np.dtype(d).kind in "iu")))
    n = draw(st.integers(1, 3)) if channels else 0
    spatial = lambda: (draw(st.integers(1, 40)), draw(st.integers(1, 40)))  # noqa: E731
    image = random_image(rng, spatial() + ((n,) if n else ()), dtype)
    reference = random_image(rng, spatial() + ((n,) if n else ()), ref_dtype)
    return image, reference, (-1 if n else None)


def numpy_match(image, reference, mask=None, reference_mask=None):
    """The documented "histeq" formula for integer grey images, in plain numpy:
    np.interp(F(v), G, r), rounded half to even and clipped."""
    counted = image[mask] if mask is not None else image.ravel()
    ref = reference[reference_mask] if reference_mask is not None else reference.ravel()
    values, counts = np.unique(ref, return_counts=True)
    fractions = np.searchsorted(np.sort(counted), image, side="right") / counted.size
    mapped = np.interp(fractions, np.cumsum(counts) / ref.size, values.astype(np.float64))
    info = np.iinfo(image.dtype)
    return np.clip(np.rint(mapped), info.min, info.max).astype(image.dtype)


# --- method "skimage" ---------------------------------------------------------


@pytest.mark.parametrize("name", SKIMAGE_IMAGES)
def test_skimage_method_on_skimage_images(name):
    image = skimage_image(name)
    other = SKIMAGE_IMAGES[(SKIMAGE_IMAGES.index(name) + 1) % len(SKIMAGE_IMAGES)]
    reference = skimage_image(other)
    if reference.ndim != image.ndim:
        reference = reference[..., 0] if reference.ndim == 3 else np.dstack([reference] * 3)
    axis = -1 if image.ndim == 3 else None
    expected = sk_match(image, reference, channel_axis=axis)
    result = histeq.match_histograms(image, reference, channel_axis=axis, method="skimage")
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)
    if axis is not None:  # without channel_axis too: one float64 result
        flat = histeq.match_histograms(image, reference, method="skimage")
        np.testing.assert_array_equal(flat, sk_match(image, reference))


@given(pairs(dtypes=DTYPES + (np.float16, np.int32, np.int8)))
def test_skimage_method_is_exact(case):
    image, reference, axis = case
    if image.dtype.kind == "u" and reference.dtype.kind != "u":
        reference = (reference.astype(np.int64) - reference.min()).astype(reference.dtype)
    expected = sk_match(image, reference, channel_axis=axis)
    result = histeq.match_histograms(image, reference, channel_axis=axis, method="skimage")
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)


def test_skimage_method_refuses_what_scikit_image_cannot_do():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    with pytest.raises(ValueError, match="mask"):
        histeq.match_histograms(image, image, mask=image > 3, method="skimage")
    with pytest.raises(ValueError, match="reference_mask"):
        histeq.match_histograms(image, image, reference_mask=image > 3, method="skimage")
    with pytest.raises(TypeError, match="reference"):
        histeq.match_histograms(image, image.astype(np.float32), method="skimage")
    with pytest.raises(ValueError, match="negative"):
        histeq.match_histograms(image, image.astype(np.int16) - 5, method="skimage")
    with pytest.raises(ValueError, match="dimensions"):
        histeq.match_histograms(image, image.ravel(), method="skimage")
    with pytest.raises(ValueError, match="NaN"):
        histeq.match_histograms(np.array([1.0, np.nan]), np.array([1.0, 2.0]), method="skimage")


# --- method "histeq" ----------------------------------------------------------


@given(pairs(dtypes=(np.uint8, np.uint16, np.int16), channels=False))
def test_histeq_method_is_the_documented_formula(case):
    image, reference, _ = case
    result = histeq.match_histograms(image, reference)
    assert result.dtype == image.dtype
    np.testing.assert_array_equal(result, numpy_match(image, reference))


@given(pairs())
def test_histeq_method_properties(case):
    image, reference, axis = case
    before = (image.copy(), reference.copy())
    result = histeq.match_histograms(image, reference, channel_axis=axis)
    np.testing.assert_array_equal(image, before[0])
    np.testing.assert_array_equal(reference, before[1])
    assert result.dtype == image.dtype and result.shape == image.shape
    image3 = image if axis is not None else image[..., None]
    result3 = result if axis is not None else result[..., None]
    ref3 = reference if axis is not None else reference[..., None]
    for c in range(image3.shape[-1]):
        order = np.argsort(image3[..., c], axis=None, kind="stable")
        assert np.all(np.diff(result3[..., c].ravel()[order].astype(np.float64)) >= 0)  # monotone
        low, high = float(ref3[..., c].min()), float(ref3[..., c].max())
        if image.dtype.kind in "iu":  # the reference's range, rounded and clipped into the dtype
            info = np.iinfo(image.dtype)
            low, high = min(max(round(low), info.min), info.max), max(min(round(high), info.max), info.min)
        tolerance = 1e-6 * max(abs(low), abs(high), 1.0)
        if low == high and reference.dtype.kind == "f":  # numpy's bins of a constant: v +- 0.5
            tolerance = 0.5
        assert result3[..., c].min() >= low - tolerance and result3[..., c].max() <= high + tolerance


@given(pairs(channels=False))
def test_matching_an_image_to_itself_returns_it(case):
    image, _, _ = case
    result = histeq.match_histograms(image, image)
    if image.dtype.kind in "iu":
        np.testing.assert_array_equal(result, image)
    else:  # through interpolated bin edges: within rounding
        np.testing.assert_allclose(result, image, rtol=1e-5, atol=1e-6 * float(np.abs(image).max()))


@pytest.mark.parametrize("name", ("camera", "astronaut", "coffee"))
def test_histeq_method_rounds_what_skimage_computes(name):
    image, reference = skimage_image(name), skimage_image("chelsea")
    if image.ndim == 2:
        reference = reference[..., 1]
    axis = -1 if image.ndim == 3 else None
    expected = np.rint(sk_match(image, reference))
    if axis is not None:  # scikit-image truncates with channel_axis: round per channel
        expected = np.stack([np.rint(sk_match(image[..., c], reference[..., c])) for c in range(3)], -1)
    np.testing.assert_array_equal(histeq.match_histograms(image, reference, channel_axis=axis), expected)


@given(
    st.sampled_from((np.uint8, np.uint16)),
    st.sampled_from((np.uint8, np.uint16)),
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=30),
    st.integers(0, 2**32 - 1),
)
def test_plain_path_matches_general_path_in_every_layout(dtype, ref_dtype, shape, seed):
    # Contiguous 8/16-bit arrays without masks or channels take a shorter
    # path; it must agree with the general one (a mask that selects every
    # pixel) and with scikit-image, in C and Fortran order.
    rng = np.random.default_rng(seed)
    image, reference = random_image(rng, shape, dtype), random_image(rng, shape[::-1], ref_dtype)
    expected = histeq.match_histograms(image, reference, mask=np.ones(shape, bool))
    expected_skimage = sk_match(image, reference)
    for im in (image, np.asfortranarray(image)):
        for ref in (reference, np.asfortranarray(reference)):
            result = histeq.match_histograms(im, ref)
            np.testing.assert_array_equal(result, expected)
            assert result.flags.f_contiguous == im.flags.f_contiguous
            np.testing.assert_array_equal(histeq.match_histograms(im, ref, method="skimage"), expected_skimage)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_plain_path_on_large_lines(dtype):
    # Lines large enough to be split over threads, counted in pairs (uint8),
    # at odd addresses and lengths.
    rng = np.random.default_rng(3)
    base = np.add.outer(np.arange(700), np.arange(701)) // 3 + rng.integers(0, 9, (700, 701))
    image = (base * (1 if dtype == np.uint8 else 97) % np.iinfo(dtype).max).astype(dtype)
    reference = np.ascontiguousarray(image[::-1, ::-1] // 2)
    for line in (image, image.ravel()[1:], image.ravel()[3:-2]):
        expected = histeq.match_histograms(line, reference, mask=np.ones(line.shape, bool))
        np.testing.assert_array_equal(histeq.match_histograms(line, reference), expected)
        np.testing.assert_array_equal(histeq.match_histograms(line, reference.ravel()), expected)
    np.testing.assert_array_equal(
        histeq.match_histograms(image, reference, method="skimage"), sk_match(image, reference)
    )


@given(
    hnp.arrays(np.int64, st.integers(1, 300), elements=st.sampled_from([0, 0, 0, 1, 2, 7, 1000, 2**40])),
    hnp.arrays(np.int64, st.integers(1, 300), elements=st.sampled_from([0, 0, 1, 3, 5000, 2**31])),
    st.integers(0, 2**32 - 1),
)
def test_compiled_plan_is_np_interp(counts, ref_counts, seed):
    # The plan of integer references in one compiled call, against numpy:
    # np.interp(cdf / N, G, r) at the reference's occupied bins, and for
    # uint8/uint16 rounded half to even and clipped into the dtype.
    from histeq.backends.cpu import interp_cdf
    from histeq.matching import _nearest_levels

    assume(counts.any() and ref_counts.any())
    rng = np.random.default_rng(seed)
    ref_values = np.cumsum(rng.exponential(rng.uniform(0.1, 500), ref_counts.size)) - rng.uniform(-100, 1000)
    occupied = np.flatnonzero(ref_counts)
    expected = np.interp(
        np.cumsum(counts) / counts.sum(), np.cumsum(ref_counts)[occupied] / ref_counts.sum(), ref_values[occupied]
    )
    mapped = np.empty(counts.size)
    interp_cdf(counts, ref_counts, ref_values, mapped)
    np.testing.assert_array_equal(mapped, expected)
    for dtype in (np.uint8, np.uint16):
        levels = np.empty(counts.size, dtype)
        interp_cdf(counts, ref_counts, ref_values, levels, float(np.iinfo(dtype).max))
        np.testing.assert_array_equal(levels, _nearest_levels(expected, np.dtype(dtype)))


def test_masks_count_only_selected_pixels():
    rng = np.random.default_rng(5)
    image = random_image(rng, (60, 50), np.uint16)
    reference = random_image(rng, (30, 70), np.uint16)
    mask, ref_mask = rng.random(image.shape) < 0.3, rng.random(reference.shape) < 0.6
    result = histeq.match_histograms(image, reference, mask=mask, reference_mask=ref_mask)
    np.testing.assert_array_equal(result, numpy_match(image, reference, mask, ref_mask))
    rgb = np.dstack([image] * 3)
    per_channel = histeq.match_histograms(
        rgb, np.dstack([reference] * 3), channel_axis=2, mask=mask, reference_mask=ref_mask
    )
    np.testing.assert_array_equal(per_channel[..., 1], result)


def test_float_values_come_from_the_reference_and_nan_stays():
    image = np.array([[0.1, np.nan, 0.3], [0.2, 0.5, 0.4]], np.float32)
    reference = np.array([10, 20, 30, 40, 50], np.uint8)
    result = histeq.match_histograms(image, reference)
    assert result.dtype == np.float32 and np.isnan(result[0, 1])
    finite = result[np.isfinite(result)]
    assert finite.min() >= 10 and finite.max() <= 50
    assert np.all(np.diff(finite[np.argsort(image[np.isfinite(image)])]) >= 0)


def test_errors_name_the_parameter():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    rgb = np.dstack([image] * 3)
    with pytest.raises(ValueError, match="reference has 2 channels"):
        histeq.match_histograms(rgb, rgb[..., :2], channel_axis=-1)
    with pytest.raises(ValueError, match="reference has shape"):
        histeq.match_histograms(rgb, image.ravel(), channel_axis=-1)
    with pytest.raises(ValueError, match="mask selects none"):
        histeq.match_histograms(image, image, mask=np.zeros(image.shape, bool))
    with pytest.raises(ValueError, match="reference_mask selects none"):
        histeq.match_histograms(image, image, reference_mask=np.zeros(image.shape, bool))
    with pytest.raises(ValueError, match="reference_mask must have the reference's shape"):
        histeq.match_histograms(image, image, reference_mask=np.ones((2, 2), bool))
    with pytest.raises(TypeError, match="reference_mask must be a boolean"):
        histeq.match_histograms(image, image, reference_mask=np.ones(image.shape, np.uint8))
    with pytest.raises(TypeError, match="reference"):
        histeq.match_histograms(image, image.astype(bool))
    with pytest.raises(TypeError, match="reference"):
        histeq.match_histograms(image, image.astype(complex))
    with pytest.raises(ValueError, match="reference contains 1 infinite"):
        histeq.match_histograms(image, np.array([1.0, np.inf]))
    with pytest.raises(ValueError, match="image contains 1 infinite"):
        histeq.match_histograms(np.array([1.0, np.inf]), image)
    with pytest.raises(ValueError, match="method"):
        histeq.match_histograms(image, image, method="matlab")


# --- command line -------------------------------------------------------------


def run(*args):
    return subprocess.run([sys.executable, "-m", "histeq", *map(str, args)], capture_output=True, text=True)


def test_cli_match(tmp_path):
    rgba = np.dstack([skimage_image("astronaut")[::4, ::4], np.full((128, 128), 77, np.uint8)])
    reference = skimage_image("chelsea")
    write_image(tmp_path / "in.png", rgba)
    write_image(tmp_path / "ref.png", reference)
    write_image(tmp_path / "grey.png", skimage_image("camera"))
    done = run("match", tmp_path / "in.png", "--reference", tmp_path / "ref.png", "-o", tmp_path / "out.png")
    assert done.returncode == 0, done.stderr
    out = read_image(tmp_path / "out.png")
    expected = histeq.match_histograms(rgba[..., :3], reference, channel_axis=-1, color="ycrcb")  # the CLI default
    np.testing.assert_array_equal(out[..., :3], expected)
    np.testing.assert_array_equal(out[..., 3], 77)
    done = run(
        "match",
        tmp_path / "in.png",
        "--reference",
        tmp_path / "ref.png",
        "-o",
        tmp_path / "s.png",
        "--method",
        "skimage",
    )
    assert done.returncode == 0, done.stderr
    expected = sk_match(rgba[..., :3], reference, channel_axis=-1)
    np.testing.assert_array_equal(read_image(tmp_path / "s.png")[..., :3], expected)
    done = run("match", tmp_path / "in.png", "--reference", tmp_path / "grey.png", "-o", tmp_path / "g.png")
    assert done.returncode == 1 and "reference" in done.stderr
    done = run("match", tmp_path / "in.png", "--reference", tmp_path / "ref.png", "-o", tmp_path / "out.png")
    assert done.returncode == 1 and "--force" in done.stderr
    done = run("match", tmp_path / "in.png", "--reference", tmp_path / "ref.png", "-o", tmp_path / "ref.png", "--force")
    assert done.returncode == 1 and "reference file" in done.stderr
