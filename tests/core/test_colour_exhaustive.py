"""The 8-bit "ycrcb" and "lab" luminance spaces against OpenCV over every colour.

Forward: the plane of all 2**24 RGB colours is cv2's Y / L, in RGB and BGR
order. Back: merge gives cv2's back-conversion for every (luminance, chroma)
triple a merge can meet, i.e. every luminance level with every chroma pair
that some colour has (one colour per pair), and for every colour with its
luminance unchanged (the whole round trip). The Lab tables are also checked
on their own over all 2**24 (L, a, b) triples, reachable or not.
"""

from __future__ import annotations

import numpy as np
import pytest

from histeq._core.colour_lab import OPENCV_L_SHIFT, OPENCV_TO_RGB, OPENCV_TO_XYZ, opencv_lab
from histeq._core.colour_spaces import split_luminance

ORDERS = ("rgb", "bgr")


@pytest.fixture(scope="module")
def all_colours() -> np.ndarray:
    """Every 8-bit colour once, as a 4096 x 4096 image (48 MB)."""
    code = np.arange(1 << 24, dtype=np.uint32)
    colours = np.empty((1 << 24, 3), np.uint8)
    colours[:, 0] = code >> 16
    colours[:, 1] = code >> 8  # uint8 keeps the low byte
    colours[:, 2] = code
    return colours.reshape(4096, 4096, 3)


def _codes(space: str, order: str) -> tuple[int, int]:
    import cv2

    name = {"ycrcb": "YCrCb", "lab": "Lab"}[space]
    source = order.upper()
    return getattr(cv2, f"COLOR_{source}2{name}"), getattr(cv2, f"COLOR_{name}2{source}")


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("space", ["ycrcb", "lab"])
def test_every_colour_forward_and_round_trip(all_colours, space, order):
    cv2 = pytest.importorskip("cv2")
    forward, back = _codes(space, order)
    converted = cv2.cvtColor(all_colours, forward)
    lum = split_luminance(all_colours, space, order=order)
    np.testing.assert_array_equal(lum.plane, converted[..., 0])
    out = np.empty_like(all_colours)
    lum.merge(lum.plane, out)
    np.testing.assert_array_equal(out, cv2.cvtColor(converted, back))


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("space", ["ycrcb", "lab"])
def test_every_reachable_triple_back(all_colours, space, order):
    # One colour for each chroma pair that occurs, merged with every level.
    cv2 = pytest.importorskip("cv2")
    forward, back = _codes(space, order)
    converted = cv2.cvtColor(all_colours, forward).reshape(-1, 3)
    pair = converted[:, 1].astype(np.int32) << 8 | converted[:, 2]
    first = np.full(1 << 16, -1)
    first[pair[::-1]] = np.arange(pair.size - 1, -1, -1)  # the first colour of each pair
    first = first[first >= 0]
    assert first.size > 10_000
    colours = np.repeat(all_colours.reshape(-1, 3)[first][:, None], 256, axis=1)  # (pairs, 256 levels, 3)
    levels = np.broadcast_to(np.arange(256, dtype=np.uint8), colours.shape[:2]).copy()
    lum = split_luminance(colours, space, order=order)
    out = np.empty_like(colours)
    lum.merge(levels, out)
    triples = np.empty_like(colours)
    triples[..., 0] = levels
    triples[..., 1:] = converted[first][:, None, 1:]
    np.testing.assert_array_equal(out, cv2.cvtColor(triples, back))


def test_lab_tables_every_triple():
    # OpenCV's Lab2RGBinteger in numpy with histeq's tables, over all 2**24
    # (L, a, b) bytes (most of them unreachable from RGB), in four slices.
    cv2 = pytest.importorskip("cv2")
    t = opencv_lab()
    to_rgb = np.array(OPENCV_TO_RGB, np.int64).reshape(3, 3)
    for L0 in range(0, 256, 64):
        L, a, b = (
            v.astype(np.int64)
            for v in np.meshgrid(np.arange(L0, L0 + 64), np.arange(256), np.arange(256), indexing="ij")
        )
        lab = np.stack([L, a, b], axis=-1).astype(np.uint8).reshape(-1, 256, 3)
        ify = t.fy_of_l[L].astype(np.int64)
        X = t.ab_to_xz[ify + ((5 * a * 53687 + 128) >> 13) - 4194 + 8145].astype(np.int64)
        Z = t.ab_to_xz[ify - ((b * 41943 + 16) >> 9) + 10484 + 8145].astype(np.int64)
        xyz = np.stack([X, t.y_of_l[L].astype(np.int64), Z], axis=-1)
        rgb = t.inv_gamma[np.clip((xyz @ to_rgb.T + 8192) >> 14, 0, 4095)].reshape(-1, 256, 3)
        np.testing.assert_array_equal(rgb, cv2.cvtColor(lab, cv2.COLOR_Lab2RGB))


def test_lab_integer_coefficients_from_opencv_doubles():
    # OpenCV's softdouble constants (color_lab.cpp: sRGB2XYZ_D65, XYZ2sRGB_D65, D65).
    def doubles(*bits: int) -> np.ndarray:
        return np.array(bits, np.uint64).view(np.float64)

    to_xyz = doubles(
        *(0x3FDA65A14488C60D, 0x3FD6E297396D0918, 0x3FC71819D2391D58),
        *(0x3FCB38CDA6E75FF6, 0x3FE6E297396D0918, 0x3FB279AAE6C8F755),
        *(0x3F93CC4AC6CDAF4B, 0x3FBE836EB4E98138, 0x3FEE68427418D691),
    ).reshape(3, 3)
    to_rgb = doubles(
        *(0x4009EC804102FF8F, 0xBFF8982A9930BE0E, 0xBFDFE7FF583A53B9),
        *(0xBFEF042528AE74F3, 0x3FFE040F23897204, 0x3FA546D3F9E7B80B),
        *(0x3FAC7DE5082CF52C, 0xBFCA1E14BDFD2631, 0x3FF0EABEF06B3786),
    ).reshape(3, 3)
    white = doubles(0x3FEE6A22B3892EE8, 0x3FF0000000000000, 0x3FF16B8950763A19)
    assert tuple(np.rint(4096 * to_xyz / white[:, None]).astype(int).ravel()) == OPENCV_TO_XYZ
    assert tuple(np.rint(4096 * to_rgb * white[None, :]).astype(int).ravel()) == OPENCV_TO_RGB
    assert OPENCV_L_SHIFT == -1336934  # not -1337196: (16 * 255 * 2**15 + 50) // 100


def test_lab_cbrt_table_exception():
    # Entry 324: a correctly rounded float32 cube root gives exactly 17745.5
    # (rounded to even: 17746); OpenCV's softfloat cbrt is one ulp lower.
    x = np.float32(np.float32(1) / np.float32(2040)) * np.float32(324)
    assert np.float32(1 << 15) * np.float32(np.cbrt(np.float64(x))) == 17745.5
    assert opencv_lab().cbrt[324] == 17745
    assert opencv_lab().cbrt[2040] == 1 << 15
