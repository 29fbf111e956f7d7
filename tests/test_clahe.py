"""CLAHE (``histeq.clahe``, method "opencv"): exact against the real OpenCV,
the algorithm's properties on every other image, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import histeq
from conftest import SKIMAGE_IMAGES, skimage_image


def cv2_clahe(image: np.ndarray, clip: float, grid: tuple[int, int], shift: int = 0) -> np.ndarray:
    """OpenCV's CLAHE; ``grid`` in histeq's (rows, columns) order. The
    calling test skips without OpenCV."""
    cv2 = pytest.importorskip("cv2")
    engine = cv2.createCLAHE(clip, (grid[1], grid[0]))
    if shift:
        engine.setBitShift(shift)
    return engine.apply(image)


def opencv_clahe_3d(volume: np.ndarray, clip: float, grid: tuple[int, int, int]) -> np.ndarray:
    """OpenCV's CLAHE generalized to 3-D, written out directly: per-tile
    histograms over reflect-101 padded tiles, OpenCV's clip and
    redistribution, and the trilinear float32 blend in OpenCV's order, then
    the same on the far z layer."""
    from histeq._clahe.tiles import opencv_tiling

    bins = 1 << (8 * volume.dtype.itemsize)
    axes = opencv_tiling(volume.shape, grid)
    area = axes[0].length * axes[1].length * axes[2].length
    limit = max(int(clip * area / bins), 1) if clip > 0 else 0
    luts = np.empty((*grid, bins), np.float32)
    for tile in np.ndindex(*grid):
        feeds = [a.feed[t * a.length : (t + 1) * a.length] for a, t in zip(axes, tile)]
        h = np.bincount(volume[np.ix_(*feeds)].ravel(), minlength=bins).astype(np.int64)
        if limit:
            excess = int(np.maximum(h - limit, 0).sum())
            h = np.minimum(h, limit) + excess // bins
            residual = excess % bins
            if residual:
                h[:: max(bins // residual, 1)][:residual] += 1
        scale = np.float32(bins - 1) / np.float32(area)
        luts[tile] = np.minimum(np.rint(np.cumsum(h).astype(np.float32) * scale), bins - 1)
    z, y, x = axes
    result = np.empty_like(volume)
    for pz, py in np.ndindex(*volume.shape[:2]):
        v = volume[pz, py]
        layers = []
        for tz in (z.low[pz], z.high[pz]):
            upper = luts[tz, y.low[py], x.low, v] * x.weight_low + luts[tz, y.low[py], x.high, v] * x.weight_high
            lower = luts[tz, y.high[py], x.low, v] * x.weight_low + luts[tz, y.high[py], x.high, v] * x.weight_high
            layers.append(upper * y.weight_low[py] + lower * y.weight_high[py])
        result[pz, py] = np.rint(layers[0] * z.weight_low[pz] + layers[1] * z.weight_high[pz])
    return result


def grey(name: str) -> np.ndarray:
    image = skimage_image(name)
    return image if image.ndim == 2 else np.ascontiguousarray(image[..., 1])


# --- exact against OpenCV -------------------------------------------------------


@pytest.mark.parametrize("name", SKIMAGE_IMAGES)
@pytest.mark.parametrize(("clip", "grid"), [(2.0, (8, 8)), (0.0, (3, 5)), (40.0, (7, 2))])
def test_uint8_real_images_equal_opencv(name, clip, grid):
    image = grey(name)
    assert np.array_equal(histeq.clahe(image, clip_limit=clip, tile_grid=grid), cv2_clahe(image, clip, grid))


@pytest.mark.parametrize("name", ["camera", "moon", "coins"])
@pytest.mark.parametrize("shift", [0, 4])
def test_uint16_real_images_equal_opencv(name, shift):
    rng = np.random.default_rng(5)
    image = grey(name).astype(np.uint16) * 257 + rng.integers(0, 257, grey(name).shape, dtype=np.uint16)
    got = histeq.clahe(image, clip_limit=3.0, tile_grid=(6, 4), bit_shift=shift)
    assert np.array_equal(got, cv2_clahe(image, 3.0, (6, 4), shift))


@given(
    rows=st.integers(1, 40),
    cols=st.integers(1, 40),
    grid=st.tuples(st.integers(1, 10), st.integers(1, 10)),
    clip=st.sampled_from([0.0, 0.3, 1.0, 2.0, 3.7, 40.0]),
    dtype=st.sampled_from([np.uint8, np.uint16]),
    levels=st.sampled_from([2, 7, 256, 65536]),
    shift=st.integers(0, 9),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_images_equal_opencv(rows, cols, grid, clip, dtype, levels, shift, seed):
    cv2 = pytest.importorskip("cv2")
    bits = 8 * np.dtype(dtype).itemsize
    shift = shift % bits
    rng = np.random.default_rng(seed)
    top = min(levels, 1 << bits)
    image = (rng.integers(0, top, (rows, cols)) * ((1 << bits) // top)).astype(dtype)
    try:
        expected = cv2_clahe(image, clip, grid, shift)
    except cv2.error:  # sizes OpenCV refuses
        assume(False)
    assert np.array_equal(histeq.clahe(image, clip_limit=clip, tile_grid=grid, bit_shift=shift), expected)


@given(
    low=st.integers(0, 65535),
    width=st.integers(0, 3000),
    clip=st.sampled_from([0.0, 0.5, 2.0, 40.0]),
    shift=st.sampled_from([0, 0, 3, 9]),
    seed=st.integers(0, 2**32 - 1),
)
def test_narrow_uint16_bands_equal_opencv(low, width, clip, shift, seed):
    # Histograms hold only the occupied levels; the plan accounts for the rest.
    rng = np.random.default_rng(seed)
    image = rng.integers(low, min(low + width, 65535) + 1, (29, 41)).astype(np.uint16)
    expected = cv2_clahe(image, clip, (3, 5), shift)
    assert np.array_equal(histeq.clahe(image, clip_limit=clip, tile_grid=(3, 5), bit_shift=shift), expected)


@pytest.mark.parametrize(
    ("shape", "grid"),
    [((12, 20, 24), (2, 3, 4)), ((12, 20, 24), (8, 8, 8)), ((5, 9, 70), (4, 4, 4)), ((7, 33, 41), (3, 1, 5))],
)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("clip", [0.0, 2.0, 40.0])
def test_volumes_equal_the_direct_3d_algorithm(shape, grid, dtype, clip):
    # Grids that pad z by a whole tile or more (OpenCV's quirk) included.
    rng = np.random.default_rng(7)
    top = np.iinfo(dtype).max
    volume = rng.integers(top // 5, top // 2, shape).astype(dtype)
    expected = opencv_clahe_3d(volume, clip, grid)
    assert np.array_equal(histeq.clahe(volume, clip_limit=clip, tile_grid=grid), expected)


@pytest.mark.parametrize(("shape", "grid"), [((700, 300), (1, 2)), ((2, 70_000), (1, 1)), ((40, 40, 100), (1, 1, 1))])
def test_tiles_over_65535_pixels_equal_the_reference(shape, grid):
    # Large histograms count in uint16 counters, emptied into wider ones as
    # rows go by (or wide counters when a tile's row alone could overflow).
    image = np.random.default_rng(8).integers(1000, 50000, shape).astype(np.uint16)
    got = histeq.clahe(image, clip_limit=3.0, tile_grid=grid)
    expected = opencv_clahe_3d(image, 3.0, grid) if image.ndim == 3 else cv2_clahe(image, 3.0, grid)
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("dtype", [np.int8, np.int16])
def test_signed_integers_are_offsets_from_the_minimum(dtype):
    info = np.iinfo(dtype)
    unsigned = np.dtype(f"u{np.dtype(dtype).itemsize}")
    image = np.random.default_rng(1).integers(info.min, info.max + 1, (33, 47)).astype(dtype)
    offsets = (image.astype(np.int64) - info.min).astype(unsigned)
    expected = (cv2_clahe(offsets, 2.0, (4, 4)).astype(np.int64) + info.min).astype(dtype)
    assert np.array_equal(histeq.clahe(image, clip_limit=2.0, tile_grid=4), expected)


def test_one_dimensional_image_is_a_one_row_image():
    image = np.random.default_rng(2).integers(0, 256, 101).astype(np.uint8)
    expected = cv2_clahe(image[None], 2.0, (1, 6))[0]
    assert np.array_equal(histeq.clahe(image, clip_limit=2.0, tile_grid=6), expected)


def test_channels_are_independent_images():
    image = skimage_image("astronaut")
    got = histeq.clahe(image, clip_limit=2.0, channel_axis=-1)
    for c in range(3):
        assert np.array_equal(got[..., c], cv2_clahe(np.ascontiguousarray(image[..., c]), 2.0, (8, 8)))


# --- properties ----------------------------------------------------------------


def test_one_tile_without_clipping_is_the_float32_textbook_formula():
    image = grey("moon")
    cdf = np.cumsum(np.bincount(image.ravel(), minlength=256))
    lut = np.rint(cdf.astype(np.float32) * (np.float32(255) / np.float32(image.size)))
    assert np.array_equal(histeq.clahe(image, clip_limit=0, tile_grid=1), lut[image].astype(np.uint8))


@given(seed=st.integers(0, 2**32 - 1), clip=st.sampled_from([0.0, 1.0, 4.0]))
def test_one_tile_maps_monotonically(seed, clip):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (30, 30)).astype(np.uint8)
    result = histeq.clahe(image, clip_limit=clip, tile_grid=1)
    order = np.argsort(image, axis=None, kind="stable")
    assert np.all(np.diff(result.ravel()[order].astype(int)) >= 0)


def test_volume_of_equal_slices_matches_the_slice():
    image = grey("camera")[::4, ::4]
    volume = np.repeat(image[None], 8, axis=0)
    got = histeq.clahe(volume, clip_limit=0, tile_grid=(2, 8, 8))
    expected = histeq.clahe(image, clip_limit=0, tile_grid=8)
    assert np.abs(got.astype(int) - expected[None]).max() <= 1
    assert np.mean(got == expected[None]) > 0.99


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.uint32, np.int64, np.float32, np.float64])
def test_volume_output_range_and_input_untouched(dtype):
    rng = np.random.default_rng(3)
    volume = rng.integers(0, 200, (12, 20, 24)).astype(dtype)
    if volume.dtype.kind == "f":
        volume /= 200
    before = volume.copy()
    result = histeq.clahe(volume, clip_limit=2.0, tile_grid=(2, 3, 4))
    assert result.dtype == volume.dtype and result.shape == volume.shape
    assert np.array_equal(volume, before)
    if volume.dtype.kind == "f":
        assert result.min() >= 0 and result.max() <= 1
    assert len(np.unique(result)) > 10


@pytest.mark.parametrize("dtype", [np.uint32, np.int32, np.uint64, np.int64])
def test_wide_integers_span_the_dtype(dtype):
    info = np.iinfo(dtype)
    constant = np.full((5, 5), 9, dtype)
    assert (histeq.clahe(constant, tile_grid=1) == info.max).all()  # one level: the cdf is full
    image = (grey("camera").astype(np.int64) * 1000 + max(int(info.min), -(10**6))).astype(dtype)
    result = histeq.clahe(image, clip_limit=2.0, nbins=256)  # 256 bins: one per original level
    reference = histeq.clahe(grey("camera"), clip_limit=2.0).astype(np.float64) / 255
    fractions = (result.astype(np.float64) - float(info.min)) / (float(info.max) - float(info.min))
    assert np.abs(fractions - reference).max() < 0.5 / 255 + 1e-6


def test_float_image_blends_the_same_levels_as_uint8():
    image = grey("camera")
    assert image.min() == 0 and image.max() == 255  # so that bins are levels
    levels = histeq.clahe(image, clip_limit=2.0)
    fractions = histeq.clahe(image / 255.0, clip_limit=2.0, nbins=256)
    assert np.abs(fractions * 255 - levels).max() <= 0.5 + 1e-4


def test_float_nan_is_kept_and_not_counted():
    image = grey("camera").astype(np.float32) / 255
    holes = image.copy()
    holes[100:120, 200:230] = np.nan
    result = histeq.clahe(holes, clip_limit=2.0)
    assert np.isnan(result[100:120, 200:230]).all()
    assert not np.isnan(np.delete(result.ravel(), np.flatnonzero(np.isnan(holes)))).any()


def test_float_codes_of_large_images_are_numpys_bins():
    # Large float images get their bin codes from a kernel, small ones from
    # numpy's arithmetic: both are np.histogram's bins.
    from histeq._clahe.plane import plane_codes
    from histeq._core.binning import EqualBins

    image = np.random.default_rng(4).normal(0.5, 0.2, (600, 700)).astype(np.float32)
    image[::97, ::89] = np.nan
    codes, _, levels = plane_codes(image, 300)
    finite = image[~np.isnan(image)]
    bins = EqualBins.between(finite.min(), finite.max(), 300, image.dtype).bin_of(image.reshape(-1))
    bins[bins < 0] = levels
    assert np.array_equal(codes, bins.astype(np.uint16))


def test_out_noncontiguous_and_fortran_inputs_agree():
    image = grey("coins")
    expected = histeq.clahe(image, clip_limit=2.0)
    assert np.array_equal(histeq.clahe(np.asfortranarray(image), clip_limit=2.0), expected)
    wide = np.zeros((image.shape[0], image.shape[1] * 2), np.uint8)
    wide[:, ::2] = image
    assert np.array_equal(histeq.clahe(wide[:, ::2], clip_limit=2.0), expected)
    out = np.empty_like(image)
    assert histeq.clahe(image, clip_limit=2.0, out=out) is out and np.array_equal(out, expected)


@pytest.mark.parametrize("distribution", ["rayleigh", "exponential"])
def test_distributions_are_monotone_and_shift_the_mean(distribution):
    image = grey("moon")
    uniform = histeq.clahe(image, clip_limit=2.0, tile_grid=1)
    shaped = histeq.clahe(image, clip_limit=2.0, tile_grid=1, distribution=distribution, alpha=0.4)
    order = np.argsort(image, axis=None, kind="stable")
    assert np.all(np.diff(shaped.ravel()[order].astype(int)) >= 0)
    assert shaped.mean() < uniform.mean()  # both skew towards dark levels at alpha 0.4


# --- method="skimage" through the public function ----------------------------------


def test_skimage_method_matches_scikit_image_per_channel():
    exposure = pytest.importorskip("skimage.exposure")
    image = skimage_image("astronaut")[::2, ::2]
    got = histeq.clahe(image, method="skimage", kernel_size=(20, 30), clip_limit=0.02, channel_axis=-1)
    for c in range(3):
        expected = exposure.equalize_adapthist(image[..., c], kernel_size=(20, 30), clip_limit=0.02)
        assert np.array_equal(got[..., c], expected)
    out = np.empty(image.shape, np.float64)
    assert histeq.clahe(image, method="skimage", channel_axis=-1, out=out) is out


@pytest.mark.parametrize(
    "kwargs",
    [{"tile_grid": 4}, {"bit_shift": 2}, {"distribution": "rayleigh"}, {"alpha": 0.7}],
)
def test_skimage_method_refuses_opencv_parameters(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        histeq.clahe(np.zeros((16, 16), np.uint8), method="skimage", **kwargs)


def test_skimage_method_refuses_dtypes_scikit_image_does_not_take():
    with pytest.raises(TypeError, match="int16"):
        histeq.clahe(np.zeros((16, 16), np.int16), method="skimage")


# --- bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"tile_grid": (0, 8)}, ValueError, "tile_grid"),
        ({"tile_grid": (8, 8, 8)}, ValueError, "tile_grid"),
        ({"tile_grid": 2.5}, TypeError, "tile_grid"),
        ({"clip_limit": -1}, ValueError, "clip_limit"),
        ({"clip_limit": float("nan")}, ValueError, "clip_limit"),
        ({"clip_limit": "2"}, TypeError, "clip_limit"),
        ({"kernel_size": 8}, ValueError, "kernel_size"),
        ({"nbins": 64}, ValueError, "nbins"),
        ({"bit_shift": 8}, ValueError, "bit_shift"),
        ({"distribution": "gauss"}, ValueError, "distribution"),
        ({"alpha": 0}, ValueError, "alpha"),
        ({"method": "matlab"}, ValueError, "method"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, error, words):
    with pytest.raises(error, match=words):
        histeq.clahe(np.zeros((16, 16), np.uint8), **kwargs)


def test_bad_images():
    with pytest.raises(ValueError, match="spatial dimensions"):
        histeq.clahe(np.zeros((2, 3, 4, 5), np.uint8))
    with pytest.raises(ValueError, match="infinite"):
        histeq.clahe(np.array([[0.0, np.inf], [0.5, 1.0]]))
    with pytest.raises(ValueError, match="bit_shift"):
        histeq.clahe(np.zeros((4, 4), np.float32), bit_shift=1)
    with pytest.raises(TypeError, match="bool"):
        histeq.clahe(np.zeros((4, 4), bool))
