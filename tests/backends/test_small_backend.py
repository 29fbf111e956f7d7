"""The numpy backend (histeq.backends.small) against the compiled kernels, bit for bit.

Each numpy kernel is compared with its compiled twin on random lines
(hypothesis: dtypes, ranges, masks, strides, RGB steps), the YCrCb round trip
on every 8-bit colour, and whole operations (every equalize method, colour
modes, CLAHE) with each backend forced, on random images and scikit-image's
sample images. Then the door's rule: which backend serves which call.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import histeq
from conftest import SKIMAGE_IMAGES, skimage_image
from histeq import backends
from histeq._core.binning import EqualBins, ZeroWidthBins
from histeq._core.colour_lab import opencv_lab
from histeq._core.colour_lines import pixel_lines
from histeq._core.methods import EQUALIZE_METHODS
from histeq.backends import serial, small
from histeq.backends._threads import run_chunks
from histeq.backends.small import colour as small_colour
from histeq.backends.small import colour_lab as small_lab
from histeq.backends.small import colour_lut as small_colour_lut
from histeq.backends.small import tile_blend as small_blend
from histeq.backends.small import tiles as small_tiles

cpu = backends.compiled()
INTEGERS = (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.uint32, np.int64, np.uint64)


@contextlib.contextmanager
def backend(mode: str):
    """Every kernel call from the numpy backend where it has the kernel
    (``"numpy"``), or from the compiled one (``"numba"``)."""
    with mock.patch.object(small, "MODE", mode), mock.patch.object(backends, "_compiled", None):
        yield


def both(function, *args, **kwargs):
    """``function(*args, **kwargs)`` with the numpy backend, then with the compiled one."""
    with backend("numpy"):
        first = function(*args, **kwargs)
    with backend("numba"):
        second = function(*args, **kwargs)
    return first, second


def assert_same(a, b) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b, strict=True)


# ------------------------------------------------------------------ kernels


@given(
    hnp.arrays(np.uint8, st.integers(0, 3000)),
    st.integers(0, 2**32 - 1),
)
def test_bytes_count_and_map(x, seed):
    lut = np.random.default_rng(seed).integers(0, 256, 256, dtype=np.uint8)
    np.testing.assert_array_equal(small.count_bytes(x), cpu.count_bytes(x))
    ours, theirs = np.empty_like(x), np.empty_like(x)
    small.apply_bytes(x, lut, ours)
    cpu.apply_bytes(x, lut, theirs)
    np.testing.assert_array_equal(ours, theirs)


@given(hnp.arrays(np.uint16, st.integers(0, 3000)), st.sampled_from([1, 2, 3]), st.integers(0, 2**32 - 1))
def test_words_count_and_map(x, stride, seed):
    line = x[::stride]
    np.testing.assert_array_equal(small.count_words(line), cpu.count_words(line))
    lut = np.random.default_rng(seed).random(65536)
    ours, theirs = np.empty(line.size), np.empty(line.size)
    small.apply_direct(line, lut, ours)
    cpu.apply_direct(line, lut, theirs)
    np.testing.assert_array_equal(ours, theirs)


@given(st.sampled_from(INTEGERS), st.integers(0, 2**32 - 1), st.integers(0, 2000), st.booleans())
def test_levels_count_and_map(dtype, seed, size, masked):
    # Ranges inside the dtype, values inside and outside them (the dtype's ends too).
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, size, dtype=dtype, endpoint=True)
    lo = int(rng.integers(info.min, info.max, endpoint=True, dtype=dtype))
    hi = min(lo + int(rng.integers(0, 70000)), info.max)
    near = (max(lo - 3, info.min), min(hi + 4, info.max))
    x[::5] = rng.integers(*near, x[::5].size, dtype=dtype, endpoint=True)
    x[::7] = info.min
    x[::11] = info.max
    lo, hi = dtype(lo), dtype(hi)
    mask = rng.random(size) < 0.6 if masked else None
    np.testing.assert_array_equal(small.count_levels(x, mask, lo, hi), cpu.count_levels(x, mask, lo, hi))
    lut = rng.random(int(hi) - int(lo) + 1)
    ours, theirs = np.empty(size), np.empty(size)
    small.apply_levels(x, lo, hi, lut, ours)
    cpu.apply_levels(x, lo, hi, lut, theirs)
    np.testing.assert_array_equal(ours, theirs)
    if dtype in (np.uint8, np.uint16):  # lo=None: each value its own bin
        top = dtype(info.max)
        np.testing.assert_array_equal(small.count_levels(x, mask, None, top), cpu.count_levels(x, mask, None, top))
        lut = rng.random(int(top) + 1)
        small.apply_levels(x, None, top, lut, ours)
        cpu.apply_levels(x, None, top, lut, theirs)
        np.testing.assert_array_equal(ours, theirs)


@given(st.integers(0, 2000), st.sampled_from([3, 4]), st.sampled_from([3, 4]), st.integers(0, 2**32 - 1))
def test_rgb_count_and_map(pixels, step, out_step, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, max(pixels * step - (step - 3), 0), dtype=np.uint8)
    np.testing.assert_array_equal(small.count_rgb(x, step), cpu.count_rgb(x, step))
    luts = rng.integers(0, 256, (3, 256), dtype=np.uint8)
    ours = rng.integers(0, 256, max(pixels * out_step - (out_step - 3), 0), dtype=np.uint8)
    theirs = ours.copy()  # 4th bytes are left alone
    small.apply_rgb(x, luts, ours, step, out_step)
    cpu.apply_rgb(x, luts, theirs, step, out_step)
    np.testing.assert_array_equal(ours, theirs)


@given(hnp.arrays(np.int64, st.integers(1, 300), elements=st.integers(0, 2**40)), st.integers(0, 299))
def test_opencv_byte_plan(counts, empty):
    counts[: min(empty, counts.size - 1)] = 0  # a first occupied bin further up
    for candidate in (counts, np.zeros_like(counts), np.eye(1, counts.size, empty % counts.size, dtype=np.int64)[0]):
        ours, theirs = small.opencv_byte_offsets(candidate), cpu.opencv_byte_offsets(candidate)
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert_same(ours, theirs)


@given(
    st.sampled_from([np.uint8, np.int16, np.uint32, np.float32, np.float64]),  # float16: HalfBins, no kernel
    st.integers(1, 3000),
    st.integers(1, 300),
    st.booleans(),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_equal_bins_count_and_map(dtype, size, nbins, masked, ranged, seed):
    # np.histogram's bins of a range (the values' own, or a narrower one), NaN included.
    rng = np.random.default_rng(seed)
    x = (rng.normal(0, 1, size) * 1000).astype(dtype) if np.dtype(dtype).kind != "u" else rng.integers(0, 200, size)
    x = np.asarray(x).astype(dtype)
    if np.dtype(dtype).kind == "f":
        x[1:][rng.random(size - 1) < 0.1] = np.nan  # x[0] stays a number
    low, high = np.nanmin(x), np.nanmax(x)
    if ranged:
        low, high = float(low) * 0.5 + float(high) * 0.25, float(high) * 0.5
    assume(low < high)
    try:
        bins = EqualBins.between(low, high, nbins, x.dtype)
    except ZeroWidthBins:
        assume(False)
    spec = bins._spec(x.size)
    mask = rng.random(size) < 0.7 if masked else None
    ours_codes, theirs_codes = np.empty(size, np.uint16), np.empty(size, np.uint16)
    counts = small.count_equal(x, mask, *spec, ours_codes)
    np.testing.assert_array_equal(counts, cpu.count_equal(x, mask, *spec, theirs_codes))
    np.testing.assert_array_equal(ours_codes, theirs_codes)
    if mask is None:
        np.testing.assert_array_equal(counts, np.histogram(x, bins=nbins, range=(low, high))[0])
    lut = rng.random(nbins).astype(np.float32)
    ours, theirs = np.empty(size, np.float32), np.empty(size, np.float32)
    small.apply_equal(x, *spec, lut, ours)
    cpu.apply_equal(x, *spec, lut, theirs)
    np.testing.assert_array_equal(ours, theirs)


@given(
    hnp.arrays(np.int64, st.integers(1, 600), elements=st.integers(0, 50)),
    hnp.arrays(np.int64, st.integers(1, 600), elements=st.integers(0, 50)),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_matching_plan(counts, ref_counts, levels, seed):
    counts[0] += 1  # at least one pixel each
    ref_counts[-1] += 1
    ref_values = np.sort(np.random.default_rng(seed).normal(0, 100, ref_counts.size))
    ref_values = np.rint(ref_values) if levels else ref_values
    top = float(ref_counts.size - 1) if levels else None
    dtype = np.uint16 if levels else np.float64
    ours, theirs = np.empty(counts.size, dtype), np.empty(counts.size, dtype)
    small.interp_cdf(counts, ref_counts, ref_values, ours, top)
    cpu.interp_cdf(counts, ref_counts, ref_values, theirs, top)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("method", ["histeq", "skimage"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_match_histograms(method, dtype):
    rng = np.random.default_rng(5)
    top = np.iinfo(dtype).max
    image = (rng.normal(0.4, 0.1, (90, 70)).clip(0, 1) * top).astype(dtype)
    reference = (rng.beta(2, 5, (50, 80)) * top).astype(dtype)
    assert_same(*both(histeq.match_histograms, image, reference, method=method))
    colours = np.stack([image, image[::-1], image[:, ::-1]], axis=-1)
    references = np.stack([reference, reference, reference[::-1]], axis=-1)
    for color in ("ycrcb", "channels") if method == "histeq" else ("channels",):  # skimage: floats
        options = {"channel_axis": -1, "color": color, "method": method}
        assert_same(*both(histeq.match_histograms, colours, references, **options))


# ------------------------------------------------------------------- YCrCb


def _every_colour(step: int) -> np.ndarray:
    # All 2**24 colours, (4096, 4096, step): RGB, or RGBA with a 4th byte of 7.
    colours = np.arange(1 << 24, dtype=np.uint32).view(np.uint8).reshape(4096, 4096, 4)
    image = colours[..., :3] if step == 3 else colours.copy()
    if step == 4:
        image[..., 3] = 7
    return np.ascontiguousarray(image)


@pytest.mark.parametrize("step", [3, 4])
@pytest.mark.parametrize("red", [0, 2])
def test_ycrcb_round_trip_of_every_colour(step, red):
    image = _every_colour(step)
    lines = pixel_lines(image[..., :3])
    lut = np.random.default_rng(red + step).integers(0, 256, 256, dtype=np.uint8)
    planes = [np.empty(image.shape[:2], np.uint8) for _ in range(2)]
    counts = [k.ycrcb_count(lines, plane, red) for k, plane in zip((small_colour_lut, cpu.colour_lut), planes)]
    np.testing.assert_array_equal(*counts)
    np.testing.assert_array_equal(*planes)
    outs = [np.full_like(image, 9) for _ in range(2)]
    for k, plane, out in zip((small_colour_lut, cpu.colour_lut), planes, outs):
        k.ycrcb_map(lines, plane, lut, pixel_lines(out[..., :3]), red)
    np.testing.assert_array_equal(*outs)


@pytest.mark.parametrize("red", [0, 2])
def test_ycrcb_split_and_merge_of_every_colour(red):
    image = _every_colour(3)
    lines = pixel_lines(image)
    planes = [np.empty(image.shape[:2], np.uint8) for _ in range(2)]
    assert [k.ycrcb_split(lines, plane, red) for k, plane in zip((small_colour, cpu.colour), planes)] == [0, 0]
    np.testing.assert_array_equal(*planes)
    new = np.random.default_rng(red).integers(0, 256, image.shape[:2], dtype=np.uint8)
    outs = [np.empty_like(image) for _ in range(2)]
    for k, out in zip((small_colour, cpu.colour), outs):
        k.ycrcb_merge(lines, new, pixel_lines(out), red)
    np.testing.assert_array_equal(*outs)


@pytest.mark.parametrize("red", [0, 2])
def test_lab_of_every_colour(red):
    # OpenCV's 8-bit Lab: split, merge, and the two passes (L, a, b counted, then mapped).
    image, tables = _every_colour(3), opencv_lab()
    lines = pixel_lines(image)
    planes = [np.empty(image.shape[:2], np.uint8) for _ in range(2)]
    for k, plane in zip((small_lab, cpu.colour_lab), planes):
        k.lab_split_bytes(lines, plane, red, tables)
    np.testing.assert_array_equal(*planes)
    new = np.random.default_rng(red).integers(0, 256, image.shape[:2], dtype=np.uint8)
    outs = [np.empty_like(image) for _ in range(2)]
    for k, out in zip((small_lab, cpu.colour_lab), outs):
        k.lab_merge_bytes(lines, new, pixel_lines(out), red, tables)
    np.testing.assert_array_equal(*outs)
    outs = [np.empty_like(image) for _ in range(2)]
    kernels = (small_colour_lut, cpu.colour_lut)
    counts = [k.lab_count(lines, pixel_lines(out), 4096, 4096, red, tables) for k, out in zip(kernels, outs)]
    np.testing.assert_array_equal(*counts)
    np.testing.assert_array_equal(*outs)
    lut = np.random.default_rng(red + 1).integers(0, 256, 256, dtype=np.uint8)
    for k, out in zip(kernels, outs):
        k.lab_map(pixel_lines(out), 4096, 4096, red, lut, tables)
    np.testing.assert_array_equal(*outs)


@pytest.mark.parametrize("space", ["ycrcb", "lab"])
@given(
    st.integers(1, 40),
    st.integers(1, 40),
    st.sampled_from([3, 4]),
    st.sampled_from(["rgb", "bgr"]),
    st.sampled_from(["plain", "reversed", "crop", "in place"]),
    st.integers(0, 2**32 - 1),
)
def test_colour_equalize_layouts(space, rows, cols, samples, order, layout, seed):
    image = np.random.default_rng(seed).integers(0, 256, (rows + 2, cols + 2, samples), dtype=np.uint8)
    view = {"plain": image, "reversed": image[::-1], "crop": image[1:-1, 1:-1]}.get(layout, image)

    def run():
        source = view.copy() if layout == "in place" else view
        out = source if layout == "in place" else None
        return histeq.equalize(source, channel_axis=-1, color=space, channel_order=order, out=out)

    assert_same(*both(run))


# -------------------------------------------------------------- operations


@pytest.mark.parametrize("space", ["ycrcb", "lab"])
@pytest.mark.parametrize("layout", ["plain", "reversed", "in place"])
def test_colour_round_trips_in_threaded_blocks(space, layout):
    # Large enough for many blocks of rows on every thread (the numpy
    # backend runs them on the kernels' threads): each block's rows are read
    # before they are written, also in place.
    image = np.random.default_rng(7).normal(90, 40, (700, 520, 3)).clip(0, 255).astype(np.uint8)
    assert backends.get_num_threads() > 1 or os.cpu_count() == 1

    def run():
        source = image[::-1] if layout == "reversed" else image.copy()
        out = source if layout == "in place" else None
        return histeq.equalize(source, channel_axis=-1, color=space, out=out)

    assert_same(*both(run))


@pytest.mark.parametrize("method", sorted(EQUALIZE_METHODS))
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_equalize_every_method(method, dtype):
    record = EQUALIZE_METHODS[method]
    if record.dtypes is not None and np.dtype(dtype) not in record.dtypes:
        pytest.skip(f"{method} takes no {np.dtype(dtype)}")
    rng = np.random.default_rng(3)
    top = np.iinfo(dtype).max
    grey = (rng.normal(0.4, 0.1, (97, 131)).clip(0, 1) * top).astype(dtype)
    assert_same(*both(histeq.equalize, grey, method=method))
    assert_same(*both(histeq.equalize, np.asfortranarray(grey)[::2], method=method))  # strided: the general path
    rgb = (rng.normal(0.5, 0.15, (61, 77, 3)).clip(0, 1) * top).astype(dtype)
    assert_same(*both(histeq.equalize, rgb, method=method, channel_axis=-1))


@pytest.mark.parametrize("name", SKIMAGE_IMAGES)
def test_sample_images(name):
    image = skimage_image(name)
    if image.ndim == 3:
        image = image[..., :3]
        for color in ("channels", "ycrcb", "lab", "joint"):
            assert_same(*both(histeq.equalize, image, channel_axis=-1, color=color))
        for color in ("ycrcb", "lab"):
            assert_same(*both(histeq.clahe, image, channel_axis=-1, color=color, clip_limit=2.0))
    else:
        assert_same(*both(histeq.equalize, image))
        assert_same(*both(histeq.equalize, image, method="skimage"))
        assert_same(*both(histeq.equalize, image / 255.0, method="skimage"))
        assert_same(*both(histeq.equalize, image.astype(np.float32) / 255, nbins=100))
        assert_same(*both(histeq.clahe, image, clip_limit=2.0))
    ours, theirs = both(histeq.histogram, image, nbins=50, value_range=(10, 200))
    np.testing.assert_array_equal(ours.counts, theirs.counts)


@given(
    st.sampled_from([np.uint8, np.int8, np.uint16, np.int16, np.float32]),
    st.lists(st.integers(1, 40), min_size=2, max_size=3),
    st.lists(st.integers(1, 5), min_size=3, max_size=3),
    st.sampled_from([0.0, 0.01, 2.0, 40.0]),
    st.sampled_from(["uniform", "rayleigh"]),
    st.integers(0, 2**32 - 1),
)
def test_clahe(dtype, shape, grid, clip, distribution, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        image = rng.random(shape, dtype=np.float32)
        image[image > 0.9] = np.nan
    else:
        info = np.iinfo(dtype)
        centre = rng.integers(info.min, info.max, endpoint=True)
        image = np.clip(rng.normal(centre, 30, shape), info.min, info.max).astype(dtype)
    tiles = tuple(min(g, s) for g, s in zip(grid, shape))
    result = both(histeq.clahe, image, clip_limit=clip, tile_grid=tiles, distribution=distribution)
    np.testing.assert_array_equal(*result)
    assert result[0].dtype == result[1].dtype


def test_numpy_kernels_do_not_load_the_compiled_backend():
    # In a fresh process: the common operations on small images import no numba.
    script = (
        "import sys, numpy as np, histeq\n"
        "from skimage import data\n"
        "histeq.equalize(data.astronaut(), channel_axis=-1, color='ycrcb')\n"
        "histeq.equalize(data.astronaut(), channel_axis=-1)\n"
        "histeq.equalize(data.camera()[::2])\n"
        "histeq.equalize(data.camera().astype(np.uint16), method='skimage')\n"
        "histeq.clahe(data.camera(), clip_limit=2.0)\n"
        "print('numba' in sys.modules)\n"
    )
    env = {**os.environ, "HISTEQ_BACKEND": "auto"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.split() == ["False"]


# ---------------------------------------------------------------- the rule


def test_the_door_serves_numpy_until_it_would_have_paid_for_the_compiled_kernels():
    with mock.patch.object(small, "MODE", "auto"), mock.patch.object(backends, "_compiled", None):
        small_image = np.zeros(1000, np.uint8)
        with mock.patch.object(small, "_spent", 0.0):
            assert backends.kernels(small_image) is small
            assert backends.kernels() is small
            huge = mock.Mock(size=small.MAX_ELEMENTS + 1)
            assert backends.kernels(huge) is cpu
        with mock.patch.object(small, "_spent", small.LOAD_SECONDS):
            assert backends.kernels(small_image) is cpu
        assert backends._compiled is cpu  # once loaded, for good
        with mock.patch.object(small, "_spent", 0.0):
            assert backends.kernels(small_image) is cpu
            with mock.patch.object(small, "MODE", "numpy"):  # whatever is loaded
                assert backends.kernels(small_image) is small


def test_load_compiled_gives_all_work_to_the_compiled_kernels():
    script = """
import sys, numpy as np
from histeq import backends
image = np.zeros(100, np.uint8)
before = backends.kernels(image).__name__
backends.load_compiled()
print(before, backends.kernels(image).__name__)
"""
    for mode, expected in (("auto", "histeq.backends.small histeq.backends.cpu"), ("numpy", "histeq.backends.small")):
        env = {**os.environ, "HISTEQ_BACKEND": mode}
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
        assert done.stdout.split() == (expected.split() if mode == "auto" else [expected] * 2), done.stdout


def test_kernels_run_on_the_calling_thread_inside_serial():
    def kernel(start, stop):
        time.sleep(0.002)  # long enough for the pool's threads to take chunks
        return threading.get_ident()

    with serial():
        assert set(run_chunks(kernel, 1 << 20, grain=1 << 10)) == {threading.get_ident()}
    outside = run_chunks(kernel, 1 << 20, grain=1 << 10)
    assert len(set(outside)) == min(backends.get_num_threads(), len(outside))


def test_time_spent_counts():
    with mock.patch.object(small, "_spent", 0.0):
        small.count_bytes(np.zeros(1 << 20, np.uint8))
        assert small._spent > 0


def test_missing_kernels_come_from_the_compiled_backend():
    with backend("numpy"):
        assert small.apply_interp is cpu.apply_interp
        assert small.apply_sorted is cpu.apply_sorted
        assert small_lab.lab_split_cie is cpu.colour_lab.lab_split_cie
        assert small_colour.run_pixels is cpu.colour.run_pixels
        assert small_tiles.count_tiles is cpu.tiles.count_tiles
        assert small_blend.blend is not cpu.tile_blend.blend
        with pytest.raises(AttributeError):
            _ = small.__wrapped__  # special names are not kernels


def test_large_clahe_images_go_to_the_compiled_kernels():
    image = np.random.default_rng(0).integers(0, 256, (2, 1100, 1000), dtype=np.uint8)
    with mock.patch.object(small_tiles, "MAX_PIXELS", 1000):
        assert_same(*both(histeq.clahe, image, clip_limit=2.0, tile_grid=(1, 4, 4)))


@pytest.mark.parametrize("value", ["numba", "numpy", "auto"])
def test_mode_from_the_environment(value):
    script = "from histeq.backends import small; print(small.MODE)"
    env = {**os.environ, "HISTEQ_BACKEND": value.upper()}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.strip() == value


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HISTEQ_BACKEND", "gpu", "HISTEQ_BACKEND must be 'auto', 'numba' or 'numpy'; got 'gpu'"),
        ("HISTEQ_NUM_THREADS", "all", "HISTEQ_NUM_THREADS must be a number of threads; got 'all'"),
    ],
)
def test_bad_settings_in_the_environment(name, value, message):
    # The first function called says it (import histeq loads no kernels);
    # the command line says it in a line, before anything else.
    env = {**os.environ, name: value}
    call = "import numpy, histeq; histeq.equalize(numpy.zeros((2, 2), numpy.uint8))"
    done = subprocess.run([sys.executable, "-c", call], capture_output=True, text=True, env=env)
    assert done.returncode != 0 and message in done.stderr
    command = [sys.executable, "-m", "histeq", "equalize", "in.png", "-o", "out.png"]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    assert (done.returncode, done.stderr) == (2, f"histeq: error: {message}\n")
