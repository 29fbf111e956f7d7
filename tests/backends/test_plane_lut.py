"""The fused count -> plan -> map kernel of uint8 planes (video's Y planes):
counts equal to ``np.bincount``, the mapped plane equal to ``lut[x]``, for
planes shared by the threads and planes done by the calling thread, padded
rows, in place, any thread count; a plan that raises releases the helpers."""

from __future__ import annotations

import numpy as np
import pytest

from histeq.backends import compiled, get_num_threads, set_num_threads

RNG = np.random.default_rng(7)
LUT = RNG.integers(0, 256, 256, dtype=np.uint8)


def _plane_lut():
    return compiled().plane_lut


def _smooth_plane(rows: int, cols: int) -> np.ndarray:
    # runs of equal pixels (as in video) and some noise
    base = np.repeat(RNG.integers(30, 200, (rows, cols // 16 + 1), dtype=np.uint8), 16, axis=1)[:, :cols]
    return np.where(RNG.random((rows, cols)) < 0.2, RNG.integers(0, 256, (rows, cols)), base).astype(np.uint8)


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (17, 1000), (700, 900), (1, 300_001)])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_counts_and_map(shape: tuple[int, int], threads: int) -> None:
    plane = _smooth_plane(*shape)
    out = np.empty_like(plane)
    seen = []
    before = get_num_threads()
    set_num_threads(threads)
    try:
        counts = _plane_lut().count_plan_map(plane, out, lambda c: seen.append(c.copy()) or LUT)
    finally:
        set_num_threads(before)
    expected = np.bincount(plane.ravel(), minlength=256)
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(seen[0], expected)
    np.testing.assert_array_equal(out, LUT[plane])


def test_padded_rows_in_place_and_no_lut() -> None:
    padded = _smooth_plane(600, 1000)
    plane = padded[:, 3:917]  # rows of unit stride, row stride 1000, odd start
    expected = LUT[plane]
    out = np.zeros((600, 1024), np.uint8)[:, 5:919]
    _plane_lut().count_plan_map(plane, out, lambda c: LUT)
    np.testing.assert_array_equal(out, expected)
    copy = plane.copy()
    _plane_lut().count_plan_map(plane, plane, lambda c: LUT)  # in place
    np.testing.assert_array_equal(plane, expected)
    _plane_lut().count_plan_map(plane, out, lambda c: None)  # None: a copy
    np.testing.assert_array_equal(out, plane)
    assert not np.array_equal(copy, plane)


def test_layouts_without_unit_rows_are_refused() -> None:
    plane = _smooth_plane(20, 30)
    for bad in (plane[:, ::2], plane[::-1], np.broadcast_to(plane[:1], (20, 30))):
        assert _plane_lut().rows_of(bad) is None
        with pytest.raises(ValueError, match="unit stride"):
            _plane_lut().count_plan_map(bad, np.empty(bad.shape, np.uint8), lambda c: LUT)


def test_plan_that_raises_releases_the_helpers() -> None:
    plane = _smooth_plane(800, 800)
    out = np.zeros_like(plane)

    def fails(counts: np.ndarray) -> np.ndarray:
        raise RuntimeError("plan failed")

    with pytest.raises(RuntimeError, match="plan failed"):
        _plane_lut().count_plan_map(plane, out, fails)
    for _ in range(3):  # the helpers are free for the next calls
        _plane_lut().count_plan_map(plane, out, lambda c: LUT)
        np.testing.assert_array_equal(out, LUT[plane])


def test_scalar_mapping_equals_lookup() -> None:
    # the mapping of CPUs without AVX-512 VBMI (this one may have it)
    plane = _smooth_plane(50, 333)[:, 1:]
    out = np.zeros((50, 400), np.uint8)[:, 7:339]
    (line, stride), (out_line, out_stride) = _plane_lut().rows_of(plane), _plane_lut().rows_of(out)
    _plane_lut()._map_range_scalar(line, stride, LUT, out_line, out_stride, plane.shape[1], 0, plane.size)
    np.testing.assert_array_equal(out, LUT[plane])


def test_smooth_map_first_frame_is_equalize_and_starts_a_scene() -> None:
    import histeq

    plane = _smooth_plane(600, 700)
    out = np.empty_like(plane)
    mean = np.full(256, 7.0)
    counts, cut, restarted = _plane_lut().count_smooth_map(plane, out, mean, False, 0.9, 0.15)
    assert cut and restarted
    np.testing.assert_array_equal(counts, np.bincount(plane.ravel(), minlength=256))
    np.testing.assert_array_equal(mean, counts)
    np.testing.assert_array_equal(out, histeq.equalize(plane))
    # the same frame again: distance 0, no cut, the state moves by nothing
    counts, cut, restarted = _plane_lut().count_smooth_map(plane, out, mean, True, 0.9, 0.0)
    assert not cut and not restarted
    np.testing.assert_allclose(mean, counts)
    np.testing.assert_array_equal(out, histeq.equalize(plane))
