"""The one door to the kernels.

Library code reaches kernels only through :func:`kernels`, which picks the
backend for an array: today numpy arrays get the numba CPU backend
(``histeq.backends.cpu``, imported on first use, so that ``import histeq``
imports no numba), or, for small one-shot work, the numpy backend
(``histeq.backends.small``), by the rule :func:`kernels` documents. A GPU
backend (CuPy arrays) plugs in here. The kernels' thread pool is set here too.
"""

from __future__ import annotations

import contextlib
import threading
from types import ModuleType

from . import small
from ._threads import get_num_threads, serial, set_num_threads

__all__ = ["compiled", "get_num_threads", "kernels", "load_compiled", "serial", "set_num_threads"]

_compiled: ModuleType | None = None
#: :func:`load_compiled` was called: the compiled backend takes all work.
_chosen = False


def kernels(array: object = None) -> ModuleType:
    """The kernel module for ``array`` (any array histeq accepts; ``None``:
    work that touches no pixels, such as a plan).

    The numpy backend (:mod:`histeq.backends.small`) while the compiled one
    is not loaded yet and ``small.serves(array)``: numpy has spent less time
    than loading numba and its cached kernels would cost (about 0.5 s), and
    ``array`` is not so large that numpy's extra time on it alone would repay
    that. Otherwise the compiled backend (:func:`compiled`), for good: a
    process that works long ends on the compiled kernels. The numpy backend
    hands what it does not have to the compiled one, and both give the same
    results bit for bit. ``HISTEQ_BACKEND`` (``numba``, ``numpy``) overrides
    the rule.
    """
    if small.serves(array, loaded=_compiled is not None or _chosen):
        return small
    return compiled()


def compiled() -> ModuleType:
    """The compiled (numba) backend, imported on first use."""
    global _compiled
    if _compiled is None:
        from . import cpu

        _compiled = cpu
    return _compiled


def load_compiled() -> None:
    """Give all work to the compiled backend from now on, and start loading
    it on a thread of its own, so the caller can go on (read its files)
    meanwhile; a kernel wanted before it is loaded waits for it.

    For a run that is about to do more work than the numpy backend's
    time limit (a folder of photos): it skips the numpy backend's slower
    start. Does nothing where ``HISTEQ_BACKEND`` is set to a backend.
    """
    global _chosen
    if small.MODE != "auto" or _chosen or _compiled is not None:
        return
    _chosen = True
    threading.Thread(target=_load_quietly, name="histeq-load", daemon=True).start()


def _load_quietly() -> None:
    with contextlib.suppress(Exception):  # the first kernel wanted imports it again and raises there
        compiled()
