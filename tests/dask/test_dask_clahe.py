"""clahe of Dask arrays (OpenCV's method): tile LUTs from the blocks' pieces of
every tile, each block blended apart; bit-identical to the numpy call (and so
to cv2) for any chunking, chunks smaller than a tile included; floats and wide
integers binned over each plane's range, found by a reduction first."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from dask_support import assert_same, chunkings, image_of, outcome
from hypothesis import given, settings
from hypothesis import strategies as st

import dask
import histeq


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


def test_clahe_equals_cv2_on_uneven_chunks() -> None:
    cv2 = pytest.importorskip("cv2")
    image = image_of("uint16", (203, 157), 7)
    expected = cv2.createCLAHE(clipLimit=2.5, tileGridSize=(5, 7)).apply(image)
    for chunks in ((203, 157), (64, 50), ((1, 100, 102), (13, 144)), (7, 9)):
        got = histeq.clahe(da.from_array(image, chunks=chunks), clip_limit=2.5, tile_grid=(7, 5)).compute()
        assert_same(expected, got)


def test_clahe_refusals_name_what_is_missing() -> None:
    image = da.zeros((8, 8), np.uint8, chunks=4)
    with pytest.raises(ValueError, match="method='skimage' CLAHE is not available for Dask arrays"):
        histeq.clahe(image, method="skimage")
    with pytest.raises(TypeError, match="out is not available"):
        histeq.clahe(image, out=np.empty((8, 8), np.uint8))
    with pytest.raises(ValueError, match="tile_grid"):
        histeq.clahe(image, tile_grid=(0, 2))
    floats = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    floats[5, 6] = -np.inf
    with pytest.raises(ValueError, match="1 infinite value"):
        histeq.clahe(da.from_array(floats, chunks=3)).compute()
