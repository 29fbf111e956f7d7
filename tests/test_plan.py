"""The plan as a value: counts -> plan_equalization -> Plan.apply equals equalize."""

import numpy as np
import pytest

import histeq
from histeq._core.methods import EQUALIZE_METHODS

RNG = np.random.default_rng(7)


def image_of(dtype, shape=(40, 50)):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        image = RNG.normal(0.3, 0.2, shape).astype(dtype)
        image[0, 0] = np.nan
        return image
    info = np.iinfo(dtype)
    low = max(int(info.min), -3000)
    return RNG.integers(low, low + 3000 if dtype.itemsize > 1 else int(info.max), shape).astype(dtype)


def value_range_of(image, edges):
    if image.dtype.kind in "iu":
        if image.dtype.itemsize <= 2:
            return None
        return int(edges[0]), int(edges[-1]) - 1  # one bin per level: [v, v + 1)
    return edges[0], edges[-1]


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.uint64, np.float16, np.float32])
@pytest.mark.parametrize("method", list(EQUALIZE_METHODS))
def test_plan_of_counts_equals_equalize(dtype, method):
    image = image_of(dtype)
    accepted = EQUALIZE_METHODS[method].dtypes
    if accepted is not None and image.dtype not in accepted:
        pytest.skip(f"{method} reproduces a tool that equalizes {', '.join(map(str, accepted))} only")
    counts, edges = histeq.histogram(image)
    plan = histeq.plan_equalization(counts, dtype=image.dtype, method=method, value_range=value_range_of(image, edges))
    expected = histeq.equalize(image, method=method)
    result = plan.apply(image)
    assert result.dtype == expected.dtype == plan.dtype
    np.testing.assert_array_equal(result, expected)


def test_counts_of_blocks_added_up_give_the_whole_image_plan():
    image = image_of(np.uint16, (64, 48))
    counts = sum(histeq.histogram(block).counts for block in np.array_split(image, 5, axis=0))
    plan = histeq.plan_equalization(counts, dtype=np.uint16)
    blocks = [plan.apply(block) for block in np.array_split(image, 5, axis=0)]
    np.testing.assert_array_equal(np.concatenate(blocks), histeq.equalize(image))


def test_target_and_lut():
    image = image_of(np.uint8)
    counts = histeq.histogram(image).counts
    plan = histeq.plan_equalization(counts, dtype=np.uint8, target="gaussian")
    assert plan.method == "matlab" and plan.lut.shape == (256,) and plan.lut.dtype == np.uint8
    np.testing.assert_array_equal(plan.apply(image), histeq.equalize(image, target="gaussian"))
    np.testing.assert_array_equal(plan.apply(image), plan.lut[image])


def test_constant_image_plan_is_the_identity():
    image = np.full((5, 5), 7, np.uint8)
    plan = histeq.plan_equalization(histeq.histogram(image).counts, dtype=np.uint8)
    assert plan.lut is None
    np.testing.assert_array_equal(plan.apply(image), image)


def test_apply_does_not_change_its_input_and_writes_out():
    image = image_of(np.uint8)
    before = image.copy()
    plan = histeq.plan_equalization(histeq.histogram(image).counts, dtype=np.uint8)
    out = np.empty_like(image)
    assert plan.apply(image, out=out) is out
    np.testing.assert_array_equal(image, before)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"counts": np.ones(10, np.int64), "dtype": np.uint8}, ValueError, r"shape \(256,\)"),
        ({"counts": np.ones(256), "dtype": np.uint8}, TypeError, "integers"),
        ({"counts": -np.ones(256, np.int64), "dtype": np.uint8}, ValueError, "non-negative"),
        ({"counts": np.ones(256, np.int64), "dtype": np.float32}, ValueError, "value_range"),
        ({"counts": np.ones(256, np.int64), "dtype": bool}, TypeError, "dtype"),
        ({"counts": np.ones(256, np.int64), "dtype": np.uint16, "method": "pillow"}, TypeError, "pillow"),
        ({"counts": np.ones(256, np.int64), "dtype": np.uint8, "method": "nope"}, ValueError, "method"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    counts = kwargs.pop("counts")
    with pytest.raises(error, match=match):
        histeq.plan_equalization(counts, **kwargs)


def test_apply_refuses_other_dtypes_and_infinity():
    plan = histeq.plan_equalization(np.ones(256, np.int64), dtype=np.float32, value_range=(0.0, 1.0))
    with pytest.raises(TypeError, match="float32"):
        plan.apply(np.zeros(4, np.float64))
    with pytest.raises(ValueError, match="infinite"):
        plan.apply(np.array([0.5, np.inf], np.float32))


def test_every_method_record_is_consistent():
    for name, method in EQUALIZE_METHODS.items():
        assert method.name == name and method.summary
        assert method.output_dtype(np.dtype(np.uint8)) == (np.float64 if method.float_output else np.uint8)
