"""color= modes of Dask arrays (equalize, clahe and match_histograms): the luminance or the
colour channels processed as Dask arrays, every block put back by the
in-memory colour code; bit-identical to the numpy call for any chunking."""

from __future__ import annotations

import numpy as np
import pytest
from dask_support import assert_same, chunkings, image_of, outcome
from hypothesis import given, settings
from hypothesis import strategies as st

import histeq

dask = pytest.importorskip("dask")  # the dask extra
da = pytest.importorskip("dask.array")


@pytest.fixture(autouse=True)
def threads():
    with dask.config.set(scheduler="threads"):
        yield


@st.composite
def colour_images(draw: st.DrawFn) -> tuple[np.ndarray, tuple, dict]:
    dtype = draw(st.sampled_from(["uint8", "uint16", "float32"]))
    samples = draw(st.sampled_from([3, 4]))
    batch = draw(st.booleans())
    shape = ((2,) if batch else ()) + (11, 9, samples)
    seed = draw(st.integers(0, 99))
    image = image_of(dtype, shape, seed)
    if image.dtype.kind == "f":  # colour spaces take floats in [0, 1]
        image = np.clip(np.nan_to_num(image) / 8 + 0.5, 0, 1).astype(image.dtype)
    if samples == 4:  # some transparent pixels
        image[..., 3] = np.where(np.random.default_rng(seed).random(shape[:-1]) < 0.3, 0, image[..., 3])
    options: dict = {"channel_axis": -1, "color": draw(st.sampled_from(["ycrcb", "lab", "hsv", "joint", "channels"]))}
    options["channel_order"] = (
        draw(st.sampled_from(["rgb", "bgr"])) if options["color"] in ("ycrcb", "lab", "hsv") else "rgb"
    )
    options["keep_alpha"] = samples == 4 and options["color"] in ("joint", "channels")
    if batch:
        options["batch_axis"] = 0
    return image, draw(chunkings(shape)), options


@settings(max_examples=30)
@given(colour_images(), st.sampled_from(["opencv", "textbook", "matlab"]), st.booleans(), st.booleans())
def test_equalize_in_colour_equals_numpy(case: tuple, method: str, masked: bool, transparent: bool) -> None:
    image, chunks, options = case
    options = dict(options, method=method, count_transparent=transparent)
    if masked:
        options["mask"] = np.random.default_rng(1).random(image.shape[:-1]) < 0.6
    expected = outcome(lambda: histeq.equalize(image, **options))
    assert_same(expected, outcome(lambda: histeq.equalize(da.from_array(image, chunks=chunks), **options)))


@settings(max_examples=30)
@given(colour_images(), st.booleans(), st.booleans())
def test_a_full_shape_dask_mask_is_checked_as_numpy_checks_it(case: tuple, uniform: bool, lazy: bool) -> None:
    # A mask with the channel axis: a colour space or joint needs the same
    # pixels in every channel (else the in-memory call's ValueError), channels
    # may differ per channel; a Dask mask is checked block by block.
    image, chunks, options = case
    rng = np.random.default_rng(2)
    grid = rng.random(image.shape[:-1] + (1,)) < 0.6
    mask = np.repeat(grid, image.shape[-1], axis=-1) if uniform else rng.random(image.shape) < 0.6
    expected = outcome(lambda: histeq.equalize(image, mask=mask, **options))
    given_mask = da.from_array(mask, chunks=chunks) if lazy else mask
    got = outcome(lambda: histeq.equalize(da.from_array(image, chunks=chunks), mask=given_mask, **options))
    assert_same(expected, got)


@settings(max_examples=20)
@given(colour_images())
def test_clahe_in_colour_equals_numpy(case: tuple) -> None:
    image, chunks, options = case
    options = dict(options, clip_limit=2.0, tile_grid=(3, 2))
    expected = outcome(lambda: histeq.clahe(image, **options))
    assert_same(expected, outcome(lambda: histeq.clahe(da.from_array(image, chunks=chunks), **options)))


@settings(max_examples=25)
@given(colour_images(), st.integers(0, 99), st.booleans(), st.booleans())
def test_match_in_colour_equals_numpy(case: tuple, seed: int, shared: bool, masked: bool) -> None:
    image, chunks, options = case
    batch = "batch_axis" in options
    shape = ((2,) if batch and not shared else ()) + (7, 6, image.shape[-1])
    reference = image_of(str(image.dtype), shape, seed)
    if reference.dtype.kind == "f":
        reference = np.clip(np.nan_to_num(reference) / 8 + 0.5, 0, 1).astype(reference.dtype)
    if masked:
        options = dict(options, reference_mask=reference[..., 0] > reference[..., 1])
    expected = outcome(lambda: histeq.match_histograms(image, reference, **options))
    lazy = da.from_array(reference, chunks=3)
    assert_same(
        expected, outcome(lambda: histeq.match_histograms(da.from_array(image, chunks=chunks), lazy, **options))
    )


@settings(max_examples=15)
@given(st.sampled_from(["uint8", "uint16", "float64"]), st.integers(0, 99), chunkings((2, 13, 11, 3)), st.booleans())
def test_skimage_clahe_of_rgb_equals_numpy(dtype: str, seed: int, chunks, batch: bool) -> None:
    # scikit-image's RGB CLAHE: V from its rgb2hsv, CLAHE of V, its hsv2rgb.
    image = image_of(dtype, (2, 13, 11, 3), seed)
    if image.dtype.kind == "f":
        image = np.clip(np.nan_to_num(image) / 8 + 0.5, 0, 1)
    options: dict = {"method": "skimage", "color": "hsv", "channel_axis": -1, "clip_limit": 0.02}
    if batch:
        options["batch_axis"] = 0
    else:
        image, chunks = image[0], chunks[1:]
    expected = outcome(lambda: histeq.clahe(image, **options))
    assert_same(expected, outcome(lambda: histeq.clahe(da.from_array(image, chunks=chunks), **options)))
