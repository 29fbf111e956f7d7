"""numba is imported without scipy (a tenth of a second of every process start)."""

import os
import subprocess
import sys

import pytest

#: The compiled kernels from the first call (small images otherwise go to the numpy backend).
_COMPILED = {**os.environ, "HISTEQ_BACKEND": "numba"}


def test_kernels_load_without_scipy_and_numba_keeps_its_blas_flag():
    pytest.importorskip("scipy")  # without scipy installed there is nothing to avoid
    script = (
        "import sys, numpy as np, histeq\n"
        "histeq.equalize(np.arange(16, dtype=np.uint8).reshape(4, 4))\n"
        "histeq.clahe(np.arange(64, dtype=np.uint8).reshape(8, 8), clip_limit=2.0)\n"
        "import numba.np.arraymath as arraymath\n"
        "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')), arraymath._HAVE_BLAS)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=_COMPILED)
    assert done.stdout.split() == ["[]", "True"]


def test_scipy_still_imports_normally_afterwards():
    pytest.importorskip("scipy")
    script = (
        "import numpy as np, histeq\n"
        "histeq.equalize(np.zeros((4, 4), np.uint8))\n"
        "import scipy.linalg\n"
        "from numba import njit\n"
        "print(njit(lambda a, b: np.dot(a, b))(np.ones(3), np.ones(3)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=_COMPILED)
    assert done.stdout.strip() == "3.0"
