"""The numbers behind the "lab" luminance space (pure numpy, built once on first use).

Two conversions:

- **OpenCV's 8-bit sRGB <-> L*a*b*** (``cv2.COLOR_RGB2Lab`` / ``COLOR_Lab2RGB``
  on uint8, ``color_lab.cpp``: ``initLabTabs``, ``RGB2Lab_b``,
  ``Lab2RGBinteger``), for uint8 images. Integer arithmetic throughout, after
  tables that OpenCV builds once with its software float32/float64
  (``softfloat``). :func:`opencv_lab` rebuilds them from OpenCV's formulas with
  numpy's float32 arithmetic, which rounds every operation as softfloat does
  (IEEE, round to nearest even); the transcendental functions (``cbrt``,
  ``pow``) are computed in float64 and rounded to float32. That reproduces
  every entry but one: softfloat's ``cbrt`` is not correctly rounded, and at
  entry 324 of the cube-root table its float32 result is one ulp below the
  correctly rounded ``17745.5 / 32768``, so that OpenCV stores 17745 where
  round-half-even of the exact float32 gives 17746 (:data:`CBRT_EXCEPTIONS`).
  The tests check the result against cv2 over all 2**24 colours in both
  directions, which is what makes these tables right (an entry that never
  changes an output cannot be told apart).
- **CIE L*a*b*** (D65, sRGB companding) in float64, as scikit-image's
  ``rgb2lab`` / ``lab2rgb``: :func:`cie_lab` holds its matrices and white point
  (uint16 and float images).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

#: Entries of OpenCV's cube-root table that its softfloat ``cbrt`` rounds
#: differently from a correctly rounded float32 cube root (see the module
#: docstring); found by comparing all 2**24 colours with cv2.
CBRT_EXCEPTIONS: dict[int, int] = {324: 17745}

#: ``round(4096 * M / white)``, OpenCV's sRGB -> XYZ matrix ``M`` (its
#: ``sRGB2XYZ_D65`` doubles) over its D65 white (0.950456, 1, 1.088754), rows
#: X, Y, Z, columns R, G, B (``RGB2Lab_b``'s constructor).
OPENCV_TO_XYZ = (1777, 1541, 778, 871, 2929, 296, 73, 448, 3575)
#: ``round(4096 * M_inv * white)`` with OpenCV's ``XYZ2sRGB_D65``: rows R, G, B,
#: columns X, Y, Z (``Lab2RGBinteger``'s constructor).
OPENCV_TO_RGB = (12615, -6296, -2223, -3773, 7684, 185, 217, -836, 4715)
#: ``Lshift`` of ``RGB2Lab_b``: ``-((16 * 255 * 2**15 + 50) // 100)``, so that
#: ``L = (296 * fY + L_SHIFT + 2**14) >> 15`` is L* * 255 / 100.
OPENCV_L_SHIFT = -((16 * 255 * (1 << 15) + 50) // 100)


class OpenCVLab(NamedTuple):
    """OpenCV's 8-bit Lab tables (``color_lab.cpp`` names in brackets)."""

    gamma: np.ndarray  #: uint16[256]: sRGB byte -> linear * 2040 [sRGBGammaTab_b]
    cbrt: np.ndarray  #: uint16[2041]: i -> f(i / 2040) * 2**15 [LabCbrtTab_b, the entries sRGB reaches]
    to_xyz: np.ndarray  #: int64[9]: :data:`OPENCV_TO_XYZ`
    l_of_y: np.ndarray  #: uint8[2041]: Y index -> 8-bit L, ``(296 * cbrt + OPENCV_L_SHIFT + 2**14) >> 15``
    y_of_l: np.ndarray  #: int32[256]: 8-bit L -> Y * 2**14 [LabToYF_b, even entries]
    fy_of_l: np.ndarray  #: int32[256]: 8-bit L -> f(Y) * 2**14 [LabToYF_b, odd entries]
    ab_to_xz: np.ndarray  #: int32[36864]: f * 2**14 + 8145 -> X or Z * 2**14 [abToXZ_b]
    to_rgb: np.ndarray  #: int64[9]: :data:`OPENCV_TO_RGB`
    inv_gamma: np.ndarray  #: uint8[4096]: linear * 4096 -> sRGB byte [sRGBInvGammaTab_b]
    # Derived tables that fold a few integer steps of the formulas into one lookup:
    x_of_la: np.ndarray  #: int32[256 * 256]: 256 L + a -> X * 2**14 (abToXZ_b at LabToYF_b's f(Y) + a's offset)
    z_of_lb: np.ndarray  #: int32[256 * 256]: 256 L + b -> Z * 2**14
    # The same numbers in the forms kernels read fastest:
    gamma_float: np.ndarray  #: float32[256]: :attr:`gamma`
    gamma_bytes: np.ndarray  #: uint8[2, 256]: :attr:`gamma`'s low and high bytes (byte lookups, 64 at a time)
    cbrt_float: np.ndarray  #: float32[2041]: :attr:`cbrt`
    cbrt_int: np.ndarray  #: int32[2041]: :attr:`cbrt`
    inv_gamma_int: np.ndarray  #: int32[4096]: :attr:`inv_gamma`


def _round(values: np.ndarray) -> np.ndarray:
    # cvRound: to nearest, ties to even.
    return np.rint(np.asarray(values, np.float64)).astype(np.int64)


@functools.cache
def opencv_lab() -> OpenCVLab:
    """OpenCV's 8-bit Lab tables, built on first use (about 1 ms)."""
    f32 = np.float32
    # sRGBGammaTab_b: cvRound(2040 * applyGamma(i / 255)); applyGamma in
    # float64 from the float32 i / 255, its result rounded to float32.
    x = np.arange(256, dtype=f32) / f32(255)
    xd = x.astype(np.float64)
    linear = np.where(xd <= 809 / 20000, xd / (323 / 25), ((xd + 11 / 200) / (1 + 11 / 200)) ** (12 / 5))
    gamma = _round(f32(2040) * linear.astype(f32)).astype(np.uint16)

    # LabCbrtTab_b: cvRound(2**15 * f(x)), x = float32(1 / 2040) * i in float32,
    # f(x) = x < 216/24389 ? fused x * 841/108 + 16/116 : cbrt(x) (float32).
    x = (f32(1) / f32(2040)) * np.arange(2041, dtype=f32)
    xd = x.astype(np.float64)
    below = x < f32(216) / f32(24389)
    fused = xd * float(f32(841) / f32(108)) + float(f32(16) / f32(116))  # exact product, one rounding
    root = np.where(below, fused, np.cbrt(xd)).astype(f32)
    cbrt = _round(f32(1 << 15) * root)
    for index, value in CBRT_EXCEPTIONS.items():
        cbrt[index] = value

    # LabToYF_b: for 8-bit L <= 20 (L* <= 8) the linear segment, above the cube.
    base = 1 << 14
    y_of_l = np.empty(256, np.int64)
    fy_of_l = np.empty(256, np.int64)
    for i in range(256):
        if i <= 20:
            y_of_l[i] = _round(f32(i * base * 20 * 9) / f32(17 * 29 * 29 * 29))
            fy_of_l[i] = _round(f32(base) * (f32(16) / f32(116) + f32(i * 5) / f32(3 * 17 * 29)))
        else:
            fy = f32(i * 100 * base) / f32(255 * 116) + f32(16 * base) / f32(116)
            fy_of_l[i] = _round(fy)
            y_of_l[i] = _round(fy * fy * fy / f32(base * base))

    # abToXZ_b (integers; C division truncates toward zero).
    f = np.arange(-8145, base * 9 // 4 - 8145, dtype=np.int64)
    linear_part = np.sign(f) * (np.abs(f) * 108 // 841) - (base * 16 // 116 * 108 // 841)
    ab_to_xz = np.where(f <= 3390, linear_part, f * f // base * f // base)  # index: f * 2**14 + 8145

    # sRGBInvGammaTab_b: cvRound(255 * applyInvGamma(i / 4096)), as gamma.
    x = f32(1) / f32(4096) * np.arange(4096, dtype=f32)
    xd = x.astype(np.float64)
    companded = np.where(xd <= 7827 / 2500000, xd * (323 / 25), xd ** (1 / (12 / 5)) * (1 + 11 / 200) - 11 / 200)
    inv_gamma = _round(f32(255) * companded.astype(f32))

    levels = np.arange(256, dtype=np.int64)
    fy = fy_of_l[:, None]
    x_of_la = ab_to_xz[fy + ((5 * levels * 53687 + 128) >> 13) - 4194 + 8145]  # a * 2**14 / 500, cv2's approximation
    z_of_lb = ab_to_xz[fy - ((levels * 41943 + 16) >> 9) + 10485 - 1 + 8145]  # b * 2**14 / 200 (its "+ 1" included)
    return OpenCVLab(
        gamma=gamma,
        cbrt=cbrt.astype(np.uint16),
        to_xyz=np.array(OPENCV_TO_XYZ, np.int64),
        l_of_y=np.clip((296 * cbrt + OPENCV_L_SHIFT + (1 << 14)) >> 15, 0, 255).astype(np.uint8),
        y_of_l=y_of_l.astype(np.int32),
        fy_of_l=fy_of_l.astype(np.int32),
        ab_to_xz=ab_to_xz.astype(np.int32),
        to_rgb=np.array(OPENCV_TO_RGB, np.int64),
        inv_gamma=inv_gamma.astype(np.uint8),
        x_of_la=x_of_la.astype(np.int32).reshape(-1),
        z_of_lb=z_of_lb.astype(np.int32).reshape(-1),
        gamma_float=gamma.astype(np.float32),
        gamma_bytes=np.stack([gamma & 255, gamma >> 8]).astype(np.uint8),
        cbrt_float=cbrt.astype(np.float32),
        cbrt_int=cbrt.astype(np.int32),
        inv_gamma_int=inv_gamma.astype(np.int32),
    )


class CIELab(NamedTuple):
    """CIE L*a*b* as scikit-image computes it (float64)."""

    to_xyz: np.ndarray  #: (3, 3): sRGB (linear) -> XYZ, scikit-image's ``xyz_from_rgb``
    to_rgb: np.ndarray  #: (3, 3): its inverse, ``rgb_from_xyz``
    white: np.ndarray  #: (3,): D65, 2 degree observer (0.95047, 1, 1.08883)


@functools.cache
def cie_lab() -> CIELab:
    """scikit-image's sRGB <-> XYZ matrices and D65 white point."""
    to_xyz = np.array(
        [
            [0.412453, 0.357580, 0.180423],
            [0.212671, 0.715160, 0.072169],
            [0.019334, 0.119193, 0.950227],
        ]
    )
    return CIELab(to_xyz=to_xyz, to_rgb=np.linalg.inv(to_xyz), white=np.array([0.95047, 1.0, 1.08883]))
