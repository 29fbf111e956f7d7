"""Run a serial, GIL-free kernel over chunks of a pixel line on several threads.

histeq runs its numba kernels (compiled with ``nogil=True``) on a small pool of
Python threads rather than with numba's ``parallel=True``: serial kernels
compile faster and optimize better, idle pool threads sleep instead of spinning
(OpenMP's spinning threads slowed every other process and woke up late after
a pause), and the thread count is histeq's own setting.

The number of threads is ``HISTEQ_NUM_THREADS`` if set, else the number of CPUs
this process may run on; :func:`set_num_threads` changes it at run time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: Below this many pixels per thread a kernel runs in one chunk.
MIN_CHUNK = 1 << 16
#: Per-chunk counters are uint32: a chunk holds at most this many pixels.
MAX_CHUNK = 1 << 31


def _default_threads() -> int:
    configured = os.environ.get("HISTEQ_NUM_THREADS")
    if configured:
        return max(1, int(configured))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_threads = _default_threads()
_pool: ThreadPoolExecutor | None = None


def get_num_threads() -> int:
    """The number of threads kernels use."""
    return _threads


def set_num_threads(threads: int) -> None:
    """Use ``threads`` threads (at least 1) from now on."""
    global _threads, _pool
    _threads = max(1, int(threads))
    if _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None


def n_chunks(n: int, grain: int = 1) -> int:
    """How many chunks ``n`` items of ``grain`` pixels each are split into: one
    per thread for large lines, never more than :data:`MAX_CHUNK` pixels a
    chunk."""
    pixels = n * grain
    return max(1, min(_threads, pixels // MIN_CHUNK), -(-pixels // MAX_CHUNK))


def run_chunks(kernel: Callable[..., Any], n: int, *args: Any, grain: int = 1) -> list[Any]:
    """``[kernel(*args, start, stop) for each chunk of range(n)]``, in parallel.

    ``grain`` is how many pixels one of the ``n`` items holds (a kernel may
    read several pixels per item). The calling thread runs the first chunk
    itself; the others go to the pool.
    """
    global _pool
    k = n_chunks(n, grain)
    bounds = [(c * n // k, (c + 1) * n // k) for c in range(k)]
    if k == 1:
        return [kernel(*args, 0, n)]
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=max(1, _threads - 1), thread_name_prefix="histeq")
    futures = [_pool.submit(kernel, *args, start, stop) for start, stop in bounds[1:]]
    return [kernel(*args, *bounds[0])] + [future.result() for future in futures]
