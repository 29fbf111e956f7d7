"""Mapping pixels through a LUT: every kernel path gives ``lut[x]``.

uint8 lines are mapped 64 pixels per instruction on CPUs with AVX-512 VBMI
and two pixels per lookup elsewhere; both must agree with numpy's indexing
for every length and alignment, and with each other.
"""

from __future__ import annotations

import contextlib
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from histeq.backends.cpu import apply as cpu
from histeq.backends.cpu import vbmi as cpu_vbmi

PATHS = pytest.mark.parametrize(
    "vbmi",
    [
        pytest.param(True, id="vbmi", marks=pytest.mark.skipif(not cpu_vbmi.available(), reason="no AVX-512 VBMI")),
        pytest.param(False, id="pairs"),
    ],
)


def _path(vbmi: bool):
    # The pair-table path even where the CPU has VBMI; else unchanged.
    return contextlib.nullcontext() if vbmi else mock.patch.object(cpu_vbmi, "available", lambda: False)


def _lines(data, length):
    # x and out as views at any byte offset of their buffers
    x_offset = data.draw(st.integers(0, 7), label="x offset")
    out_offset = data.draw(st.integers(0, 7), label="out offset")
    x = data.draw(hnp.arrays(np.uint8, x_offset + length), label="x")[x_offset:]
    out = np.full(out_offset + length, 0xA5, np.uint8)[out_offset:]
    return x, out


@PATHS
@given(length=st.integers(0, 700), data=st.data())
def test_byte_lines_any_length_and_offset(vbmi, length, data):
    x, out = _lines(data, length)
    lut = data.draw(hnp.arrays(np.uint8, 256), label="lut")
    before = x.copy()
    with _path(vbmi):
        cpu.apply_bytes(x, lut, out)
    np.testing.assert_array_equal(out, lut[x])
    np.testing.assert_array_equal(x, before)


@PATHS
def test_byte_lines_threaded_and_in_place(vbmi):
    # More than one chunk per thread, an odd address, and out the same buffer as x.
    rng = np.random.default_rng(3)
    lut = rng.integers(0, 256, 256, dtype=np.uint8)
    x = rng.integers(0, 256, 3_000_001, dtype=np.uint8)[1:]
    out = np.empty_like(x)
    expected = lut[x]
    with _path(vbmi):
        cpu.apply_bytes(x, lut, out)
        cpu.apply_bytes(x, lut, x)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(x, expected)


@PATHS
def test_byte_lut_may_be_a_strided_view(vbmi):
    rng = np.random.default_rng(4)
    lut = rng.integers(0, 256, 512, dtype=np.uint8)[::2]
    x = rng.integers(0, 256, 1000, dtype=np.uint8)
    out = np.empty_like(x)
    with _path(vbmi):
        cpu.apply_bytes(x, lut, out)
    np.testing.assert_array_equal(out, lut[x])


@given(hnp.arrays(np.uint16, st.integers(0, 500)), st.data())
def test_word_lines_through_a_full_table(x, data):
    lut = data.draw(hnp.arrays(np.uint16, 65536), label="lut")
    out = np.empty_like(x)
    cpu.apply_direct(x, lut, out)
    np.testing.assert_array_equal(out, lut[x])


@PATHS
@given(step=st.sampled_from([3, 4]), pixels=st.integers(1, 300), data=st.data())
def test_rgb_lines_any_length_and_offset(vbmi, step, pixels, data):
    # Lines from the first red byte to the last blue one, in buffers with
    # bytes around them that must stay as they are (so must every 4th byte).
    offset = data.draw(st.integers(0, 7), label="offset")
    length = step * (pixels - 1) + 3
    buffer = data.draw(hnp.arrays(np.uint8, offset + length + 8), label="x")
    x = buffer[offset : offset + length]
    out_buffer = np.arange(buffer.size, dtype=np.uint8)
    out = out_buffer[offset : offset + length]
    luts = data.draw(hnp.arrays(np.uint8, (3, 256)), label="luts")
    expected = out_buffer.copy()
    for channel in range(3):
        expected[offset + channel : offset + length : step] = luts[channel][x[channel::step]]
    with _path(vbmi):
        cpu.apply_rgb(x, luts, out, step, step)
    np.testing.assert_array_equal(out_buffer, expected)


@PATHS
@pytest.mark.parametrize("step", [3, 4])
def test_rgb_lines_threaded_and_in_place(vbmi, step):
    rng = np.random.default_rng(6)
    luts = rng.integers(0, 256, (3, 256), dtype=np.uint8)
    pixels = rng.integers(0, 256, (700_001, step), dtype=np.uint8)
    x = pixels.reshape(-1)[: pixels.size - step + 3]
    expected = pixels.copy()
    for channel in range(3):
        expected[:, channel] = luts[channel][pixels[:, channel]]
    with _path(vbmi):
        cpu.apply_rgb(x, luts, x, step, step)
    np.testing.assert_array_equal(pixels, expected)
