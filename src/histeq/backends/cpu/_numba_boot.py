"""Import numba without importing scipy (about 0.1 s of every process start).

numba imports ``scipy`` at start-up to check its version and ``scipy.linalg``
(with its BLAS and LAPACK modules) when its first kernel loads, only to learn
whether ``np.dot`` / ``np.linalg`` can use BLAS; histeq's kernels use neither.
numba treats scipy as optional: both places catch ImportError
(``numba/__init__.py: _ensure_critical_deps``, ``numba/np/arraymath.py:
_check_blas``). So, in the importing thread only and only while numba
initialises, scipy is made unimportable; then numba's BLAS flag is set to what
it would have computed. numba imports ``scipy.linalg`` itself, lazily, if a
kernel anywhere in the process ever uses ``np.linalg`` or ``np.dot``.

Fails safe: if numba's internals move, nothing is hidden after the window and
numba loads scipy as it always did. Must run before numba is first imported
(``histeq.backends.cpu`` imports it first).
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
from importlib.machinery import ModuleSpec


class _HideScipy:
    """A ``sys.meta_path`` finder that fails ``import scipy[...]`` in one thread."""

    def __init__(self) -> None:
        self._thread = threading.get_ident()

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if (name == "scipy" or name.startswith("scipy.")) and threading.get_ident() == self._thread:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None  # anything else: the normal finders


def import_numba_without_scipy() -> None:
    """Import numba (and its BLAS check) with scipy hidden; a no-op once numba is initialised."""
    if "numba.np.arraymath" in sys.modules:
        return
    hide = _HideScipy()
    sys.meta_path.insert(0, hide)
    try:
        import numba  # its version check skips scipy

        with contextlib.suppress(ImportError):  # numba's internals moved: loaded normally later
            import numba.np.arraymath  # noqa: F401  (evaluates its BLAS flag now)
    finally:
        sys.meta_path.remove(hide)
    arraymath = sys.modules.get("numba.np.arraymath")
    if getattr(arraymath, "_HAVE_BLAS", None) is False and importlib.util.find_spec("scipy") is not None:
        arraymath._HAVE_BLAS = True  # type: ignore[union-attr]  # what numba computes with scipy installed


import_numba_without_scipy()
