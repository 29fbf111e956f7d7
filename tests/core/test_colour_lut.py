"""histeq._core.colour_spaces.count_luminance: a LUT on the 8-bit luminance in two passes.

Everything here is checked against split_luminance + merge(lut[plane]), which
test_colour_exhaustive.py checks against cv2 over every colour: over every
colour again (the histogram, Lab's intermediate L, a, b, a random LUT), every
reachable (level, chroma) triple (256 rotated LUTs), and layouts (row tails
shorter than the 64-pixel vector steps, RGBA colour parts, reversed rows,
crops, N-D, in place). Both kernel paths run: AVX-512 steps (where the CPU has
VBMI) and the loops every CPU runs. Then equalize(color=...) itself against
the four-step path.
"""

from __future__ import annotations

import contextlib
from unittest import mock

import numpy as np
import pytest

import histeq
from histeq._core.colour_spaces import LUT_SPACES, LuminanceCounts, count_luminance, split_luminance
from histeq.backends.cpu import vbmi as cpu_vbmi

ORDERS = ("rgb", "bgr")
PATHS = (
    pytest.param(True, id="avx512", marks=pytest.mark.skipif(not cpu_vbmi.available(), reason="no AVX-512 VBMI")),
    pytest.param(False, id="loops"),
)


def _path(simd: bool):
    # The loops every CPU runs, also where AVX-512 VBMI is available.
    return contextlib.nullcontext() if simd else mock.patch.object(cpu_vbmi, "available", lambda: False)


def _random(shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _lut(seed=1) -> np.ndarray:
    return _random(256, seed)


def _expected(image, space, lut, order="rgb") -> tuple[np.ndarray, np.ndarray]:
    # (histogram of the plane, merge of lut[plane]) by the four-step path
    lum = split_luminance(image, space, order=order)
    out = np.empty_like(image)
    lum.merge(lum.plane if lut is None else lut[lum.plane], out)
    return np.bincount(lum.plane.ravel(), minlength=256), out


def _mapped(image, space, lut, out=None, order="rgb") -> tuple[np.ndarray, np.ndarray]:
    out = np.empty_like(image) if out is None else out
    counted = count_luminance(image, space, out, order=order)
    assert isinstance(counted, LuminanceCounts)
    counts = counted.counts.copy()
    counted.map(lut)
    return counts, out


@pytest.fixture(scope="module")
def all_colours() -> np.ndarray:
    """Every 8-bit colour once, as a 4096 x 4096 image (48 MB)."""
    code = np.arange(1 << 24, dtype=np.uint32)
    colours = np.empty((1 << 24, 3), np.uint8)
    colours[:, 0] = code >> 16
    colours[:, 1] = code >> 8
    colours[:, 2] = code
    return colours.reshape(4096, 4096, 3)


# ------------------------------------------------------------ every colour


@pytest.mark.parametrize("simd", PATHS)
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("space", LUT_SPACES)
def test_every_colour(all_colours, space, order, simd):
    lut = _lut()
    counts, expected = _expected(all_colours, space, lut, order)
    out = np.empty_like(all_colours)
    with _path(simd):
        counted = count_luminance(all_colours, space, out, order=order)
        assert counted is not None
        np.testing.assert_array_equal(counted.counts, counts)
        if space == "lab":  # this pass leaves OpenCV's L, a, b in out
            cv2 = pytest.importorskip("cv2")
            code = cv2.COLOR_RGB2Lab if order == "rgb" else cv2.COLOR_BGR2Lab
            np.testing.assert_array_equal(out, cv2.cvtColor(all_colours, code))
        counted.map(lut)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("simd", PATHS)
@pytest.mark.parametrize("space", LUT_SPACES)
def test_every_reachable_triple_back(all_colours, space, simd):
    # One colour for each chroma pair (Cr, Cb or a, b) that occurs, mapped to
    # every level by 256 rotated LUTs: every (level, chroma) a map can meet.
    lum = split_luminance(all_colours, space)
    flat = all_colours.reshape(-1, 3)
    if space == "ycrcb":
        Y = lum.plane.reshape(-1).astype(np.int32)
        key = (flat[:, 0].astype(np.int32) - Y) * 512 + (flat[:, 2].astype(np.int32) - Y)  # R - Y, B - Y decide Cr, Cb
        key -= key.min()
    else:
        cv2 = pytest.importorskip("cv2")
        lab = cv2.cvtColor(all_colours, cv2.COLOR_RGB2Lab).reshape(-1, 3)
        key = lab[:, 1].astype(np.int64) << 8 | lab[:, 2]
    first = np.full(int(key.max()) + 1, -1)
    first[key[::-1]] = np.arange(key.size - 1, -1, -1)
    colours = flat[first[first >= 0]][:, None]  # (pairs, 1, 3)
    assert colours.shape[0] > 10_000
    plane = split_luminance(colours, space).plane
    reference = split_luminance(colours, space)
    out = np.empty_like(colours)
    expected = np.empty_like(colours)
    with _path(simd):
        for shift in range(256):
            lut = ((np.arange(256) + shift) % 256).astype(np.uint8)
            _mapped(colours, space, lut, out)
            reference.merge(lut[plane], expected)
            np.testing.assert_array_equal(out, expected, err_msg=f"shift {shift}")


# ----------------------------------------------------------------- layouts


@pytest.mark.parametrize("simd", PATHS)
@pytest.mark.parametrize("space", LUT_SPACES)
@pytest.mark.parametrize("shape", [(1, 1), (1, 200), (200, 1), (7, 13), (33, 65), (64, 64), (65, 129), (3, 257)])
def test_shapes(space, shape, simd):
    image = _random((*shape, 3), seed=sum(shape))
    counts, expected = _expected(image, space, _lut())
    with _path(simd):
        got_counts, out = _mapped(image, space, _lut())
    np.testing.assert_array_equal(got_counts, counts)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("simd", PATHS)
@pytest.mark.parametrize("space", LUT_SPACES)
def test_views(space, simd):
    big = _random((70, 300, 4), seed=3)
    views = {
        "rgba colour": big[..., :3],
        "reversed rows": big[::-1, :, :3],
        "crop": big[5:60, 7:290, 1:],
        "bgr view": big[..., 2::-1],
    }
    lut = _lut(5)
    for name, view in views.items():
        counts, expected = _expected(np.ascontiguousarray(view), space, lut)
        for out_base in (np.zeros((70, 300, 4), np.uint8), None):
            target = np.empty_like(view) if out_base is None else out_base[: view.shape[0], : view.shape[1], :3]
            with _path(simd):
                got, _ = _mapped(view, space, lut, target)
            np.testing.assert_array_equal(got, counts, err_msg=name)
            np.testing.assert_array_equal(target, expected, err_msg=name)
            if out_base is not None:
                assert not out_base[..., 3].any(), name  # the 4th byte of 4 is never written


@pytest.mark.parametrize("simd", PATHS)
@pytest.mark.parametrize("space", LUT_SPACES)
def test_in_place_and_n_dimensional(space, simd):
    lut = _lut(7)
    batch = _random((2, 3, 17, 131, 3), seed=4)
    _, expected = _expected(batch, space, lut)
    inner = batch[:, ::2]  # leading axes not evenly strided: one 2-D slice at a time
    _, expected_inner = _expected(np.ascontiguousarray(inner), space, lut)
    with _path(simd):
        _mapped(inner, space, lut, np.empty_like(inner))
        work = batch.copy()
        _mapped(work, space, lut, work)
        part = batch.copy()
        _mapped(part[:, ::2], space, lut, part[:, ::2])
    np.testing.assert_array_equal(work, expected)
    np.testing.assert_array_equal(part[:, ::2], expected_inner)
    np.testing.assert_array_equal(part[:, 1::2], batch[:, 1::2])


@pytest.mark.parametrize("space", LUT_SPACES)
def test_constant_image_and_identity(space):
    image = np.full((9, 70, 3), 77, np.uint8)
    counts, expected = _expected(image, space, None)
    got, out = _mapped(image, space, None)
    assert got[np.flatnonzero(counts)[0]] == image.shape[0] * image.shape[1]
    np.testing.assert_array_equal(out, expected)


def test_out_without_pixel_lines_is_declined_untouched():
    image = _random((20, 30, 3))
    out = np.zeros((3, 20, 30), np.uint8).transpose(1, 2, 0)  # channels not adjacent
    for space in LUT_SPACES:
        assert count_luminance(image, space, out) is None
        assert not out.any()


def test_bad_arguments():
    image = _random((4, 5, 3))
    out = np.empty_like(image)
    with pytest.raises(ValueError, match="space"):
        count_luminance(image, "hsv", out)
    with pytest.raises(TypeError, match="uint8"):
        count_luminance(image.astype(np.uint16), "lab", out.astype(np.uint16))
    with pytest.raises(TypeError, match="out"):
        count_luminance(image, "lab", out[:, :4])
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        count_luminance(image, "lab", out)
    counted = count_luminance(image, "ycrcb", np.empty_like(image))
    assert counted is not None and repr(counted) == "LuminanceCounts(space='ycrcb', pixels=20)"
    with pytest.raises(TypeError, match="lut"):
        counted.map(np.arange(256))
    counted.map(None)
    counted.map(_lut())  # YCrCb reads the image again: any number of times
    counted = count_luminance(image, "lab", np.empty_like(image))
    assert counted is not None
    counted.map(None)
    with pytest.raises(RuntimeError, match="already"):
        counted.map(None)


def test_results_do_not_depend_on_the_thread_count():
    image = _random((300, 700, 3), seed=9)
    results = []
    for threads in (1, 2, 3):
        previous = histeq.backends.get_num_threads()
        histeq.backends.set_num_threads(threads)
        try:
            results.append([_mapped(image, space, _lut()) for space in LUT_SPACES])
        finally:
            histeq.backends.set_num_threads(previous)
    for other in results[1:]:
        for (counts, out), (counts0, out0) in zip(other, results[0]):
            np.testing.assert_array_equal(counts, counts0)
            np.testing.assert_array_equal(out, out0)


# ------------------------------------------------- equalize(color=...)


def _four_steps(rgb, space, order="rgb") -> np.ndarray:
    # equalize's general path: split, equalize the plane, merge
    lum = split_luminance(rgb, space, order=order)
    out = np.empty_like(rgb)
    lum.merge(histeq.equalize(lum.plane), out)
    return out


@pytest.mark.parametrize("simd", PATHS)
@pytest.mark.parametrize("space", LUT_SPACES)
def test_equalize_layouts(space, simd):
    rgb = (_random((50, 77, 3), seed=11) // 3 + 40).astype(np.uint8)  # low contrast: the LUT moves levels
    expected = _four_steps(rgb, space)
    with _path(simd):
        np.testing.assert_array_equal(histeq.equalize(rgb, channel_axis=-1, color=space), expected)
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        np.testing.assert_array_equal(
            histeq.equalize(bgr, channel_axis=-1, color=space, channel_order="bgr"), expected[..., ::-1]
        )
        first = np.moveaxis(rgb, -1, 0).copy()  # channels first: out has no pixel lines, the general path runs
        np.testing.assert_array_equal(histeq.equalize(first, channel_axis=0, color=space), np.moveaxis(expected, -1, 0))
        rgba = np.concatenate([rgb, _random((50, 77, 1), seed=12)], axis=-1)
        result = histeq.equalize(rgba, channel_axis=-1, color=space, count_transparent=True)
        np.testing.assert_array_equal(result[..., :3], expected)
        np.testing.assert_array_equal(result[..., 3], rgba[..., 3])
        out = np.zeros_like(rgb)
        assert histeq.equalize(rgb, channel_axis=-1, color=space, out=out) is out
        np.testing.assert_array_equal(out, expected)
        fortran = np.zeros_like(rgb, order="F")
        assert histeq.equalize(rgb, channel_axis=-1, color=space, out=fortran) is fortran
        np.testing.assert_array_equal(fortran, expected)
        work = rgb.copy()
        assert histeq.equalize(work, channel_axis=-1, color=space, out=work) is work
        np.testing.assert_array_equal(work, expected)
        masked = histeq.equalize(np.ma.MaskedArray(rgb), channel_axis=-1, color=space)
        assert isinstance(masked, np.ma.MaskedArray)
        np.testing.assert_array_equal(masked.data, expected)


@pytest.mark.parametrize("space", LUT_SPACES)
def test_equalize_with_a_mask_or_another_method_takes_the_general_path(space):
    rgb = _random((40, 50, 3), seed=13)
    mask = np.zeros((40, 50), bool)
    mask[5:30, 10:40] = True
    lum = split_luminance(rgb, space)
    out = np.empty_like(rgb)
    lum.merge(histeq.equalize(lum.plane, mask=mask), out)
    np.testing.assert_array_equal(histeq.equalize(rgb, channel_axis=-1, color=space, mask=mask), out)
    lum.merge(histeq.equalize(lum.plane, method="pillow"), out)
    np.testing.assert_array_equal(histeq.equalize(rgb, channel_axis=-1, color=space, method="pillow"), out)


def test_lab_table_ranges_keep_the_vector_sums_in_int32():
    # colour_simd.lab_back_steps sums OPENCV_TO_RGB . (X, Y, Z) in int32; its
    # docstring states these ranges.
    from histeq._core.colour_lab import OPENCV_TO_RGB, opencv_lab

    t = opencv_lab()
    assert (t.x_of_la.min(), t.x_of_la.max()) == (-538, 32304)
    assert (t.z_of_lb.min(), t.z_of_lb.max()) == (-1335, 72253)
    assert (t.y_of_l.min(), t.y_of_l.max()) == (0, 16384)
    bound = np.abs(np.array(OPENCV_TO_RGB).reshape(3, 3)) @ np.array([32304, 16384, 72253])
    assert bound.max() + 8192 < 2**31
