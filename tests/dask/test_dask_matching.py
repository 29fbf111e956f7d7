"""match_histograms of Dask arrays (numpy or Dask references): bit-identical
to the numpy call on the computed arrays, for any chunking."""

from __future__ import annotations

import numpy as np
import pytest
from dask_support import DTYPES, assert_same, chunkings, image_of, outcome
from hypothesis import given, settings
from hypothesis import strategies as st

import histeq

dask = pytest.importorskip("dask")  # the dask extra
da = pytest.importorskip("dask.array")

SHAPE = (8, 10, 3)


@pytest.fixture(autouse=True)
def threads():
    with dask.config.set(scheduler="threads"):
        yield


@settings(max_examples=40)
@given(
    st.sampled_from(DTYPES),
    st.sampled_from(DTYPES),
    st.integers(0, 500),
    chunkings(SHAPE),
    st.sampled_from(["grey", "channels", "masks", "batch-shared", "batch-per-item"]),
    st.booleans(),
)
def test_match_equals_numpy(dtype: str, ref_dtype: str, seed: int, chunks, layout: str, lazy_reference: bool) -> None:
    image = image_of(dtype, SHAPE, seed)
    options: dict = {}
    reference = image_of(ref_dtype, (5, 7, 3), seed + 1)
    if layout != "grey":
        options["channel_axis"] = -1
    if layout == "masks":
        rng = np.random.default_rng(seed)
        options["mask"] = rng.random(SHAPE[:2]) < 0.5
        options["reference_mask"] = da.from_array(rng.random((5, 7)) < 0.5, chunks=3)
    if layout.startswith("batch"):
        options["batch_axis"] = 0
        reference = image_of(ref_dtype, (7, 3) if layout == "batch-shared" else (8, 6, 3), seed + 2)
    expected_options = dict(options)
    if "reference_mask" in options:
        expected_options["reference_mask"] = options["reference_mask"].compute()
    expected = outcome(lambda: histeq.match_histograms(image, reference, **expected_options))
    lazy_ref = da.from_array(reference, chunks=2) if lazy_reference else reference
    got = outcome(lambda: histeq.match_histograms(da.from_array(image, chunks=chunks), lazy_ref, **options))
    assert_same(expected, got)


@settings(max_examples=30)
@given(
    st.sampled_from(["uint8", "uint16", "int8", "int16"]),
    st.sampled_from(["uint8", "uint16", "int16"]),
    st.integers(0, 500),
    chunkings(SHAPE),
    st.sampled_from(["grey", "channels", "batch"]),
)
def test_skimage_method_equals_numpy(dtype: str, ref_dtype: str, seed: int, chunks, layout: str) -> None:
    image = image_of(dtype, SHAPE, seed)
    reference = image_of(ref_dtype, (8, 6, 3) if layout == "batch" else (5, 7, 3), seed + 1)
    options: dict = {"method": "skimage"}
    if layout != "grey":
        options["channel_axis"] = -1
    if layout == "batch":
        options["batch_axis"] = 0
    expected = outcome(lambda: histeq.match_histograms(image, reference, **options))
    lazy = da.from_array(reference, chunks=3)
    assert_same(
        expected, outcome(lambda: histeq.match_histograms(da.from_array(image, chunks=chunks), lazy, **options))
    )


def test_skimage_method_refuses_what_needs_a_global_sort() -> None:
    image = da.zeros((4, 4, 3), dtype=np.float32, chunks=2)
    with pytest.raises(ValueError, match="method='skimage' takes 8- and 16-bit integer Dask arrays"):
        histeq.match_histograms(image, np.zeros((4, 4, 3), np.float32), method="skimage")
    with pytest.raises(ValueError, match="mask is not available with method='skimage'"):
        histeq.match_histograms(image, np.zeros((4, 4, 3), np.float32), method="skimage", mask=np.ones((4, 4, 3), bool))
