"""clahe of Dask arrays (OpenCV's method): tile LUTs from the blocks' pieces of
every tile, each block blended apart; bit-identical to the numpy call (and so
to cv2) for any chunking, chunks smaller than a tile included; floats and wide
integers binned over each plane's range, found by a reduction first; and
scikit-image's method, with its global rescales as reductions."""

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
def planes(draw: st.DrawFn) -> tuple[np.ndarray, tuple, dict]:
    dtype = draw(
        st.sampled_from(["uint8", "uint16", "int8", "int16", "float16", "float32", "float64", "int32", "uint64"])
    )
    spatial = draw(st.sampled_from([(13,), (17, 23), (6, 9, 8)]))
    layout = draw(st.sampled_from(["plane", "channels", "batch"]))
    shape = spatial + (2,) if layout == "channels" else (2, *spatial) if layout == "batch" else spatial
    options: dict = {"clip_limit": draw(st.sampled_from([0.0, 1.5, 40.0]))}
    options["tile_grid"] = tuple(draw(st.integers(1, min(n + 2, 9))) for n in spatial)
    if layout == "channels":
        options["channel_axis"] = -1
    if layout == "batch":
        options["batch_axis"] = 0
    if draw(st.booleans()):
        options["distribution"] = draw(st.sampled_from(["rayleigh", "exponential"]))
    if dtype in ("uint16", "int16") and draw(st.booleans()):
        options["bit_shift"] = draw(st.integers(0, 8))
    if dtype not in ("uint8", "uint16", "int8", "int16") and draw(st.booleans()):
        options["nbins"] = draw(st.sampled_from([3, 100, 4096]))
    return image_of(dtype, shape, draw(st.integers(0, 99))), draw(chunkings(shape)), options


@settings(max_examples=40)
@given(planes())
def test_clahe_equals_numpy(case: tuple[np.ndarray, tuple, dict]) -> None:
    image, chunks, options = case
    expected = outcome(lambda: histeq.clahe(image, **options))
    assert_same(expected, outcome(lambda: histeq.clahe(da.from_array(image, chunks=chunks), **options)))


@st.composite
def skimage_planes(draw: st.DrawFn) -> tuple[np.ndarray, tuple, dict]:
    dtype = draw(st.sampled_from(["uint8", "uint16", "float16", "float32", "float64"]))
    spatial = draw(st.sampled_from([(15,), (17, 13), (6, 9, 8)]))
    layout = draw(st.sampled_from(["plane", "channels", "batch"]))
    shape = spatial + (2,) if layout == "channels" else (2, *spatial) if layout == "batch" else spatial
    image = image_of(dtype, shape, draw(st.integers(0, 99)))
    if image.dtype.kind == "f":  # scikit-image takes floats in [-1, 1] without NaN
        image = np.clip(np.nan_to_num(image) / 8, -1, 1).astype(image.dtype)
    options: dict = {"method": "skimage", "clip_limit": draw(st.sampled_from([0.0, 0.01, 0.2]))}
    if draw(st.booleans()):
        options["kernel_size"] = tuple(draw(st.integers(1, n + 1)) for n in spatial)
    if draw(st.booleans()):
        options["nbins"] = draw(st.sampled_from([16, 256, 1000]))
    if layout == "channels":
        options["channel_axis"] = -1
    if layout == "batch":
        options["batch_axis"] = 0
    return image, draw(chunkings(shape)), options


@settings(max_examples=30)
@given(skimage_planes())
def test_skimage_clahe_equals_numpy(case: tuple[np.ndarray, tuple, dict]) -> None:
    # scikit-image's CLAHE: three reductions (the min-max rescale, the regions' counts, the blended range of
    # the final stretch) before the blend of each block.
    image, chunks, options = case
    expected = outcome(lambda: histeq.clahe(image, **options))
    assert_same(expected, outcome(lambda: histeq.clahe(da.from_array(image, chunks=chunks), **options)))


def test_clahe_equals_cv2_on_uneven_chunks() -> None:
    cv2 = pytest.importorskip("cv2")
    image = image_of("uint16", (203, 157), 7)
    expected = cv2.createCLAHE(clipLimit=2.5, tileGridSize=(5, 7)).apply(image)
    for chunks in ((203, 157), (64, 50), ((1, 100, 102), (13, 144)), (7, 9)):
        got = histeq.clahe(da.from_array(image, chunks=chunks), clip_limit=2.5, tile_grid=(7, 5)).compute()
        assert_same(expected, got)


def test_skimage_clahe_equals_scikit_image() -> None:
    exposure = pytest.importorskip("skimage.exposure")
    image = image_of("uint16", (120, 90), 8)
    expected = exposure.equalize_adapthist(image, kernel_size=(25, 20), clip_limit=0.02)
    got = histeq.clahe(da.from_array(image, chunks=(17, 31)), method="skimage", kernel_size=(25, 20), clip_limit=0.02)
    assert_same(expected, got.compute())


def test_clahe_refusals_name_what_is_missing() -> None:
    image = da.zeros((8, 8), dtype=np.uint8, chunks=4)
    with pytest.raises(ValueError, match="tile_grid is not a parameter of method='skimage'"):
        histeq.clahe(image, method="skimage", tile_grid=2)
    with pytest.raises(ValueError, match="method='imagemagick' CLAHE works on whole images"):
        histeq.clahe(image, method="imagemagick")
    with pytest.raises(TypeError, match="out is not available"):
        histeq.clahe(image, out=np.empty((8, 8), np.uint8))
    with pytest.raises(ValueError, match="tile_grid"):
        histeq.clahe(image, tile_grid=(0, 2))
    floats = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    floats[5, 6] = -np.inf
    with pytest.raises(ValueError, match="1 infinite value"):
        histeq.clahe(da.from_array(floats, chunks=3)).compute()
