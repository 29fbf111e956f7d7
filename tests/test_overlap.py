"""``out=`` that overlaps the input other than exactly (reversed, shifted,
transposed views of one buffer): the result is that of a separate ``out``,
computed from a copy of the input."""

from __future__ import annotations

import numpy as np
import pytest

import histeq
from histeq._core import layout


def sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.normal(0.5, 0.2, shape).clip(0, 1)
    if np.dtype(dtype).kind == "f":
        return values.astype(dtype)
    info = np.iinfo(dtype)
    return (float(info.min) + values * (float(info.max) - float(info.min))).astype(dtype)


def overlapping_views(image: np.ndarray):
    """``(source, out)`` pairs of views of one buffer holding ``image``: the
    source holds ``image``, ``out`` overlaps it partially."""
    flat = image.ndim == 1
    # reversed
    buffer = image.copy()
    yield "reversed", buffer, buffer[::-1]
    # shifted by one element, both ways
    for shift, name in ((1, "ahead"), (-1, "behind")):
        buffer = np.empty(image.size + 1, image.dtype)
        source = (buffer[1:] if shift == 1 else buffer[:-1]).reshape(image.shape)
        source[...] = image
        out = (buffer[:-1] if shift == 1 else buffer[1:]).reshape(image.shape)
        yield name, source, out
    if not flat:
        square = np.zeros((max(image.shape),) * 2, image.dtype)
        if image.shape[0] == image.shape[1]:
            square[...] = image
            yield "transposed", square, square.T
        buffer = image.copy()
        yield "columns reversed", buffer, buffer[:, ::-1]


def calls():
    return {
        "equalize": lambda x, **kw: histeq.equalize(x, **kw),
        "equalize-textbook": lambda x, **kw: histeq.equalize(x, method="textbook", **kw),
        "clahe": lambda x, **kw: histeq.clahe(x, clip_limit=2.0, tile_grid=2, **kw),
        "plan": lambda x, **kw: plan_of(x).apply(x, **kw),
    }


def plan_of(image):
    value_range = None if image.dtype.itemsize <= 2 else (int(image.min()), int(image.max()))
    counts = histeq.histogram(image).counts
    return histeq.plan_equalization(counts, dtype=image.dtype, value_range=value_range)


@pytest.mark.parametrize("name", list(calls()))
@pytest.mark.parametrize("shape", [(16,), (6, 6), (5, 7)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32])
def test_overlapping_out_gives_the_separate_result(name, shape, dtype):
    call = calls()[name]
    image = sample(dtype, shape)
    expected = call(image)
    for view, source, out in overlapping_views(image):
        assert call(source, out=out) is out, view
        np.testing.assert_array_equal(out, expected, err_msg=view)


def test_issue_example_reversed_line():
    # 13 of 16 pixels were wrong: the line was mapped in place back to front.
    x = np.random.default_rng(3).integers(0, 256, 16).astype(np.uint8)
    expected = histeq.equalize(x)
    y = x.copy()
    histeq.equalize(y, out=y[::-1])
    np.testing.assert_array_equal(y[::-1], expected)


@pytest.mark.parametrize("shape", [(8, 6, 3), (5, 4, 3)])
def test_rgb_fast_path_with_overlapping_out(shape):
    image = sample(np.uint8, shape, 4)
    expected = histeq.equalize(image, channel_axis=-1)
    buffer = np.empty(image.size + 3, np.uint8)
    source = buffer[3:].reshape(shape)
    source[...] = image
    out = buffer[:-3].reshape(shape)  # one pixel behind: both packed RGB
    assert histeq.equalize(source, channel_axis=-1, out=out) is out
    np.testing.assert_array_equal(out, expected)


def test_exact_overlap_is_still_in_place_without_a_copy():
    image = sample(np.uint16, (9, 7), 5)
    expected = histeq.equalize(image)
    inplace = image.copy()
    same_view = inplace[...]  # another object, the same memory and layout
    assert layout.unshared(inplace, same_view) is inplace
    assert histeq.equalize(inplace, out=same_view) is same_view
    np.testing.assert_array_equal(inplace, expected)
    fortran = np.asfortranarray(image)
    assert histeq.equalize(fortran, out=fortran) is fortran
    np.testing.assert_array_equal(fortran, expected)


def test_unshared_checks_bounds_only_for_separate_arrays(monkeypatch):
    # Keeps the uint8 fast path's speed: arrays whose bounds do not overlap
    # never get numpy's exact (possibly expensive) overlap test.
    def refuse(*args, **kwargs):
        raise AssertionError("np.shares_memory called for disjoint arrays")

    image = sample(np.uint8, (40, 30))
    out = np.empty_like(image)
    monkeypatch.setattr(np, "shares_memory", refuse)
    assert layout.unshared(image, out) is image
    assert layout.unshared(image, image) is image
    assert layout.unshared(image, image[...]) is image
    np.testing.assert_array_equal(histeq.equalize(image, out=out), histeq.equalize(image))


def test_interleaved_views_that_do_not_overlap_are_not_copied():
    buffer = sample(np.uint8, (10, 12))
    source, out = buffer[:, ::2], buffer[:, 1::2]
    assert layout.unshared(source, out) is source
    expected = histeq.equalize(source.copy())
    histeq.equalize(source, out=out)
    np.testing.assert_array_equal(out, expected)


def test_mask_overlapping_out_is_read_before_it_is_written():
    image = sample(np.uint8, (12, 10), 6)
    mask = image > 100
    expected = histeq.equalize(image, mask=mask)
    out = np.empty_like(image)
    shared_mask = out.view(np.bool_)
    shared_mask[...] = mask
    histeq.equalize(image, mask=shared_mask, out=out)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("method", ["opencv", "skimage"])
def test_clahe_channels_with_overlapping_out(method):
    image = sample(np.uint8 if method == "opencv" else np.float32, (12, 10, 3), 7)
    expected = histeq.clahe(image, channel_axis=-1, method=method)
    buffer = image.astype(expected.dtype)
    if method == "opencv":
        out = buffer[::-1]
        assert histeq.clahe(buffer, channel_axis=-1, out=out, method=method) is out
        np.testing.assert_array_equal(out, expected)
    else:  # float32 in, float32 out: the same buffer, channels reversed
        out = buffer[..., ::-1]
        assert histeq.clahe(buffer, channel_axis=-1, out=out, method=method) is out
        np.testing.assert_array_equal(out, expected)
