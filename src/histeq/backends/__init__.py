"""The one door to the kernels.

Library code reaches compiled kernels only through :func:`kernels`, which
picks the backend for an array (today: numpy arrays -> the numba CPU
backend, ``histeq.backends.cpu``) and imports it on first use, so that
``import histeq`` imports no numba. A GPU backend (CuPy arrays) plugs in here.
The kernels' thread pool is set here too.
"""

from __future__ import annotations

from types import ModuleType

from ._threads import get_num_threads, set_num_threads

__all__ = ["get_num_threads", "kernels", "set_num_threads"]


def kernels(array: object = None) -> ModuleType:
    """The kernel module for ``array`` (any array histeq accepts; ``None``: the
    default backend). Imported on first use."""
    from . import cpu

    return cpu
