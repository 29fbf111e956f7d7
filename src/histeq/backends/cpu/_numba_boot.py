"""numba's start in a process, cut to what histeq's cached kernels need.

Two costs of every process that runs a compiled kernel, measured on this
project's 2-core VM, are avoided:

- **scipy** (about 0.1 s at import, 0.2 s at the first kernel): numba
  imports ``scipy`` at start-up to check its version, and ``scipy.linalg``
  (with its BLAS and LAPACK modules) in ``numba.np.arraymath``, which loads
  with the first kernel, only to learn whether ``np.dot`` / ``np.linalg`` can
  use BLAS; histeq's kernels use neither. numba treats scipy as optional:
  both places catch ImportError (``numba/__init__.py:
  _ensure_critical_deps``, ``numba/np/arraymath.py: _check_blas``). So, in
  the importing thread only and only while numba initialises, scipy is made
  unimportable; then numba's BLAS flag is set to what it would have
  computed. numba imports ``scipy.linalg`` itself, lazily, if a kernel
  anywhere in the process ever uses ``np.linalg`` or ``np.dot``.
- **The registry refresh at the first cached kernel** (0.15-0.2 s, holding
  the GIL): numba's ``Cache.load_overload`` refreshes the target context
  before loading machine code from the cache. The refresh imports numba's
  typing and lowering registries (``numba.np.linalg``, ``numba.typed``,
  ``numba.np.random``, ...) and initialises numba's runtime (NRT). Only the
  runtime is needed to load and call machine code (kernels that allocate
  arrays call it); the registries are for typing and lowering, that is for
  compiling, and every compilation refreshes them itself
  (``numba.core.compiler.CompilerBase``).
  :func:`jit` gives histeq's kernels a cache that loads after initialising
  the runtime only. Other numba functions in the process load as usual.

Fails safe: if numba's internals move, scipy is imported as it always was
and the kernels load through numba's own ``load_overload``. Must run before
numba is first imported (``histeq.backends.cpu`` imports it first).
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
from collections.abc import Callable
from importlib.machinery import ModuleSpec
from typing import Any


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

# isort: split

from numba import njit  # noqa: E402  (after numba's import above)

#: numba's decorator for histeq's kernels: compiled once, cached on disk, releasing the GIL.
_compile = njit(cache=True, nogil=True)


def jit(function: Callable[..., Any]) -> Any:
    """``numba.njit(cache=True, nogil=True)``, whose cached machine code loads
    without numba's registry refresh (see the module's docstring)."""
    dispatcher = _compile(function)
    _load_without_refresh(dispatcher)
    return dispatcher


def _load_without_refresh(dispatcher: Any) -> None:
    cache = getattr(dispatcher, "_cache", None)
    load = getattr(cache, "_load_overload", None)
    guard = getattr(cache, "_guard_against_spurious_io_errors", None)
    if cache is None or load is None or guard is None or _RUNTIME is None:  # numba moved: its own load_overload
        return
    runtime = _RUNTIME

    def load_overload(signature: Any, target_context: Any) -> Any:
        # numba's Cache.load_overload, with the refresh cut to the runtime's set-up
        runtime.initialize(target_context)
        with guard():  # swallows spurious I/O errors: None, then compiled as on a cache miss
            return load(signature, target_context)

    cache.load_overload = load_overload


def _runtime() -> Any:
    """numba's runtime (``rtsys``), or None where numba's internals moved."""
    try:
        from numba.core.runtime import rtsys
    except ImportError:
        return None
    return rtsys if callable(getattr(rtsys, "initialize", None)) else None


_RUNTIME = _runtime()
