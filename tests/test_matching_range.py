"""``match_histograms(method="histeq")`` with float references: every value
comes from the reference's range, its finite [min, max] (of the counted
pixels), as the README says."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import histeq

FLOATS = (np.float16, np.float32, np.float64)
IMAGE_DTYPES = (*FLOATS, np.uint8, np.int16, np.int64)


def test_constant_reference_gives_that_constant():
    # The 4096 bins of the constant 1.0 span 0.5 .. 1.5: values up to 1.00024 came back.
    image = np.linspace(0, 1, 1000).reshape(25, 40)
    for dtype in FLOATS:
        result = histeq.match_histograms(image.astype(dtype), np.ones(7, dtype))
        assert result.min() == result.max() == 1.0
    assert (histeq.match_histograms(np.arange(20, dtype=np.uint8), np.full(3, 1.4999)) == 1).all()


@st.composite
def float_references(draw):
    dtype = np.dtype(draw(st.sampled_from(FLOATS)))
    kind = draw(st.sampled_from(["constant", "few", "spread", "wide"]))
    size = draw(st.integers(1, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = float(draw(st.sampled_from([1e-3, 1.0, 1e3]) if dtype == np.float16 else st.sampled_from([1e-6, 1, 1e6])))
    centre = float(draw(st.sampled_from([0.0, 1.0, -3.0, 100.0])))
    if kind == "constant":
        values = np.full(size, centre)
    elif kind == "few":
        values = rng.choice(rng.normal(centre, scale, 3), size)
    elif kind == "spread":
        values = rng.normal(centre, scale, size)
    else:
        values = np.concatenate([rng.normal(centre, scale, size), [centre + 50 * scale]])
    reference = values.astype(dtype)
    if draw(st.booleans()):
        reference[rng.random(reference.size) < 0.1] = np.nan
    return reference


@given(
    float_references(),
    st.sampled_from(IMAGE_DTYPES),
    hnp.array_shapes(min_dims=1, max_dims=2, max_side=40),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
@settings(max_examples=200)  # small cases: more of them than the profile's 60
def test_values_lie_in_the_reference_range(reference, dtype, shape, seed, use_mask):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        image = (rng.normal(0, 1, shape) * 10).astype(dtype)
    else:
        info = np.iinfo(dtype)
        image = rng.integers(max(int(info.min), -1000), min(int(info.max), 1000), shape).astype(dtype)
    reference_mask = None
    counted = reference[~np.isnan(reference)]
    if use_mask and counted.size:
        reference_mask = rng.random(reference.shape) < 0.7
        if not (reference_mask & ~np.isnan(reference)).any():
            reference_mask[np.flatnonzero(~np.isnan(reference))[0]] = True
        counted = reference[reference_mask & ~np.isnan(reference)]
    if not counted.size:  # every reference value NaN: refused
        return
    result = histeq.match_histograms(image, reference, reference_mask=reference_mask)
    assert result.dtype == image.dtype
    low, high = float(counted.min()), float(counted.max())
    values = result[~np.isnan(result)] if dtype.kind == "f" else result
    if dtype.kind == "f":
        # the range as the result's dtype holds it: clipped into its finite values, rounded to nearest
        top = float(np.finfo(dtype).max)
        low, high = (dtype.type(min(max(v, -top), top)) for v in (low, high))
        assert values.min() >= low and values.max() <= high
        assert np.isnan(result).sum() == np.isnan(image).sum()
    else:
        info = np.iinfo(dtype)
        assert int(values.min()) >= min(max(round(low), int(info.min)), int(info.max))
        assert int(values.max()) <= max(min(round(high), int(info.max)), int(info.min))
