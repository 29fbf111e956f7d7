"""numba's start in a process: imported without scipy (a tenth of a second of
every process start), cached kernels loaded without numba's registry refresh."""

import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest


def _run(script: str, *args: str, backend: str = "numba") -> str:
    """The standard output of ``script`` run in a fresh process with ``backend``'s
    kernels from the first call (small images otherwise go to the numpy backend)."""
    env = {**os.environ, "HISTEQ_BACKEND": backend}
    command = [sys.executable, "-c", script, *args]
    return subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout


def test_kernels_load_without_scipy_and_numba_keeps_its_blas_flag():
    pytest.importorskip("scipy")  # without scipy installed there is nothing to avoid
    script = (
        "import sys, numpy as np, histeq\n"
        "histeq.equalize(np.arange(16, dtype=np.uint8).reshape(4, 4))\n"
        "histeq.clahe(np.arange(64, dtype=np.uint8).reshape(8, 8), clip_limit=2.0)\n"
        "import numba.np.arraymath as arraymath\n"
        "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')), arraymath._HAVE_BLAS)\n"
    )
    assert _run(script).split() == ["[]", "True"]


def test_scipy_still_imports_normally_afterwards():
    pytest.importorskip("scipy")
    script = (
        "import numpy as np, histeq\n"
        "histeq.equalize(np.zeros((4, 4), np.uint8))\n"
        "import scipy.linalg\n"
        "from numba import njit\n"
        "print(njit(lambda a, b: np.dot(a, b))(np.ones(3), np.ones(3)))\n"
    )
    assert _run(script).strip() == "3.0"


#: Modules that only numba's registry refresh imports (``CPUContext.load_additional_registries``).
_REFRESH_ONLY = ("numba.typed.typedset", "numba.np.random.generator_core", "numba.cpython.heapq")

#: Kernels of several modules from the disk cache (those that allocate arrays need numba's runtime).
_KERNELS = (
    "import sys, numpy as np, histeq\n"
    "image = np.random.default_rng(0).integers(0, 256, (64, 48, 3), dtype=np.uint8)\n"
    "results = [histeq.equalize(image), histeq.equalize(image, channel_axis=-1, color='lab'),\n"
    "           histeq.clahe(image[..., 0], clip_limit=2.0), histeq.histogram(image)[0],\n"
    "           histeq.equalize(image.astype(np.uint16) * 257, method='skimage')]\n"
)


def test_cached_kernels_load_without_the_registry_refresh():
    show = "print(' '.join(m for m in sys.modules if m in " + repr(_REFRESH_ONLY) + ") or '-')\n"
    _run(_KERNELS)  # compiles what the disk cache lacks (a compilation refreshes the registries)
    assert _run(_KERNELS + show).split() == ["-"]


def test_kernels_loaded_so_give_the_numpy_backends_results():
    save = "np.savez(sys.argv[1], *results)\n"
    with tempfile.TemporaryDirectory() as folder:
        paths = [os.path.join(folder, f"{backend}.npz") for backend in ("numba", "numpy")]
        for backend, path in zip(("numba", "numpy"), paths):
            _run(_KERNELS + save, path, backend=backend)
        with np.load(paths[0]) as compiled, np.load(paths[1]) as reference:
            assert compiled.files == reference.files
            for name in compiled.files:
                np.testing.assert_array_equal(compiled[name], reference[name])


def test_numba_compiles_as_usual_after_kernels_loaded_so():
    # A compilation in the same process (numba's typed containers, a function
    # of the caller's) refreshes the registries it needs itself.
    script = _KERNELS + (
        "from numba import njit, typed\n"
        "items = typed.List([1.5, 2.5])\n"
        "print(njit(lambda values: sum(values))(items), njit(lambda a: np.cumsum(a)[-1])(np.arange(4)))\n"
    )
    assert _run(_KERNELS).split() == []
    assert _run(script).split() == ["4.0", "6"]


def test_kernels_load_through_numba_itself_where_its_internals_moved(monkeypatch):
    from histeq.backends.cpu import _numba_boot

    def add(a, b):
        return a + b

    assert "load_overload" in vars(_numba_boot.jit(add)._cache)  # histeq's load, on the instance
    monkeypatch.setattr(_numba_boot, "_RUNTIME", None)
    kernel = _numba_boot.jit(add)
    assert "load_overload" not in vars(kernel._cache)  # numba's own
    assert kernel(2, 3) == 5
