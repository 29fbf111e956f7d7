"""match_histograms of Dask arrays (numpy or Dask references): bit-identical
to the numpy call on the computed arrays, for any chunking."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from dask_support import DTYPES, assert_same, chunkings, image_of, outcome
from hypothesis import given, settings
from hypothesis import strategies as st

import dask
import histeq

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


def test_skimage_method_is_refused() -> None:
    image = da.zeros((4, 4, 3), np.uint8, chunks=2)
    with pytest.raises(ValueError, match="method='skimage' is not available for Dask arrays"):
        histeq.match_histograms(image, np.zeros((4, 4, 3), np.uint8), method="skimage")
