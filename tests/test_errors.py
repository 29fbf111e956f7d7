"""Bad input gets a clear TypeError/ValueError that names the parameter."""

from __future__ import annotations

import numpy as np
import pytest

import histeq

IMAGE = np.arange(12, dtype=np.uint8).reshape(3, 4)


@pytest.mark.parametrize("func", [histeq.equalize, histeq.histogram])
@pytest.mark.parametrize(
    ("image", "error", "match"),
    [
        (np.ones((3, 3), bool), TypeError, "bool"),
        (np.ones((3, 3), complex), TypeError, "complex"),
        (np.array([[1, "a"]], dtype=object), TypeError, "object"),
        (np.array(["ab", "cd"]), TypeError, "dtype"),
        (np.uint8(5), ValueError, "0-d"),
        (np.zeros((0, 4), np.uint8), ValueError, "empty"),
        (np.array([[1.0, np.inf]]), ValueError, "infinite"),
        (np.array([[-np.inf, 0.5]], np.float32), ValueError, "infinite"),
    ],
)
def test_bad_images(func, image, error, match):
    with pytest.raises(error, match=match):
        func(image)


@pytest.mark.parametrize("func", [histeq.equalize, histeq.histogram])
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"nbins": 0}, ValueError, "nbins"),
        ({"nbins": -3}, ValueError, "nbins"),
        ({"nbins": 2.5}, TypeError, "nbins"),
        ({"nbins": True}, TypeError, "nbins"),
        ({"nbins": 10**9}, ValueError, "nbins"),
        ({"mask": np.ones((4, 3), bool)}, ValueError, "mask"),
        ({"mask": np.ones((3, 4), np.uint8)}, TypeError, "mask"),
        ({"channel_axis": 2}, ValueError, "channel_axis"),
        ({"channel_axis": -3}, ValueError, "channel_axis"),
        ({"channel_axis": 1.0}, TypeError, "channel_axis"),
        ({"channel_axis": 0, "mask": np.ones((3, 3), bool)}, ValueError, "mask"),
    ],
)
def test_bad_arguments(func, kwargs, error, match):
    with pytest.raises(error, match=match):
        func(IMAGE, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "opencv2"}, ValueError, "method"),
        ({"method": None}, ValueError, "method"),
        ({"out": np.empty((3, 4), np.uint16)}, TypeError, "out"),
        ({"out": np.empty((4, 3), np.uint8)}, ValueError, "out"),
        ({"out": [[0] * 4] * 3}, TypeError, "out"),
        ({"method": "skimage", "mask": np.zeros((3, 4), bool)}, ValueError, "mask"),
    ],
)
def test_bad_equalize_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        histeq.equalize(IMAGE, **kwargs)


def test_read_only_out():
    out = np.empty_like(IMAGE)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="out"):
        histeq.equalize(IMAGE, out=out)


@pytest.mark.parametrize("dtype", [np.uint16, np.int8, np.float32])
def test_pillow_is_uint8_only(dtype):
    with pytest.raises(TypeError, match="pillow"):
        histeq.equalize(IMAGE.astype(dtype), method="pillow")


@pytest.mark.parametrize(
    ("image", "value_range", "error", "match"),
    [
        (IMAGE, (5, 1), ValueError, "low <= high"),
        (IMAGE, (0, 300), ValueError, "exceeds"),
        (IMAGE, (0.5, 3), TypeError, "integers"),
        (IMAGE, 5, TypeError, "pair"),
        (IMAGE.astype(float), (0, np.nan), ValueError, "finite"),
        (IMAGE.astype(float), ("a", 1), TypeError, "numbers"),
    ],
)
def test_bad_value_range(image, value_range, error, match):
    with pytest.raises(error, match=match):
        histeq.histogram(image, value_range=value_range)


def test_too_many_bins_for_a_tiny_float_range():
    image = np.array([1.0, np.nextafter(np.float32(1.0), np.float32(2.0))], np.float32)
    with pytest.raises(ValueError, match="nbins"):
        histeq.equalize(image, nbins=100)


def test_errors_subclass_builtin_exceptions_and_leave_input_alone():
    image = IMAGE.copy()
    with pytest.raises(ValueError):
        histeq.equalize(image, mask=np.ones((2, 2), bool))
    np.testing.assert_array_equal(image, IMAGE)
