"""Run a serial, GIL-free kernel over chunks of a pixel line on several threads.

histeq runs its numba kernels (compiled with ``nogil=True``) on a small pool of
Python threads rather than with numba's ``parallel=True``: serial kernels
compile faster and optimize better, idle pool threads sleep instead of spinning
(OpenMP's spinning threads slowed every other process and woke up late after
a pause), and the thread count is histeq's own setting.

Chunks are handed out dynamically: the calling thread and the pool's threads
take the next chunk until none is left, so a thread that wakes up late (a
sleeping core, a busy machine) costs little.

A kernel run from inside a chunk (a batch's items run on the threads, each
item's kernels inside) runs its own chunks on the thread it is on, and so
does every kernel run inside :func:`serial` (callers that keep every core
busy with threads of their own: the command line's files).

The number of threads is ``HISTEQ_NUM_THREADS`` if set, else the number of CPUs
this process may run on; :func:`set_num_threads` changes it at run time.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported with the first pool (one-shot work on one thread never needs it)
    from concurrent.futures import ThreadPoolExecutor

#: Chunks hold at least this many pixels.
MIN_CHUNK = 1 << 16
#: Lines are split into up to this many chunks per thread: fine enough that a
#: thread that starts late, or shares its core with another process, leaves
#: little for the others to wait on (eight took 10-25% off threaded matching
#: and a few % off equalization on a busy 2-core machine, CLAHE unchanged;
#: a chunk costs a few microseconds).
CHUNKS_PER_THREAD = 8


def _default_threads() -> int:
    configured = os.environ.get("HISTEQ_NUM_THREADS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ValueError(f"HISTEQ_NUM_THREADS must be a number of threads; got {configured!r}") from None
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_threads = _default_threads()
_pool: ThreadPoolExecutor | None = None
#: ``inside``: this thread is running a chunk.
_state = threading.local()


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


@contextmanager
def serial() -> Iterator[None]:
    """Kernels started on this thread in the block run all their chunks on
    it: for work that already keeps every core busy with threads of its own
    (a folder's files on the command line's threads), which the pool's
    threads would only contend with (100 1080p JPEGs: 0.93 s against 0.94,
    interleaved in one process)."""
    outer, _state.inside = getattr(_state, "inside", False), True
    try:
        yield
    finally:
        _state.inside = outer


def n_chunks(n: int, grain: int = 1) -> int:
    """How many chunks ``n`` items of ``grain`` pixels each are split into
    (never more than the items: CLAHE has 8 rows of tiles)."""
    return max(1, min(_threads * CHUNKS_PER_THREAD, n, n * grain // MIN_CHUNK))


def run_chunks(
    kernel: Callable[..., Any],
    n: int,
    *args: Any,
    grain: int = 1,
    accumulator: Callable[[], Any] | None = None,
    finish: Callable[[Any], Any] | None = None,
) -> list[Any]:
    """Run ``kernel`` over chunks ``start, stop`` of ``range(n)`` on all threads.

    Without ``accumulator``: calls ``kernel(*args, start, stop)`` per chunk and
    returns the results in chunk order. With it: every thread that takes a
    chunk makes one ``accumulator()`` and calls ``kernel(*args, acc, start,
    stop)`` for each of its chunks; returns the accumulators, or with
    ``finish`` what ``finish(acc)`` returns, called by the thread that filled
    ``acc`` after its last chunk. ``grain`` is how many pixels one of the
    ``n`` items holds.
    """
    global _pool
    k = n_chunks(n, grain)
    bounds = [(c * n // k, (c + 1) * n // k) for c in range(k)]
    results: list[Any] = [None] * k
    accumulators: list[Any] = []
    tickets = itertools.count()  # next() is atomic under the GIL

    def work() -> None:
        acc = None
        with serial():  # a kernel started inside a chunk runs its chunks on this thread
            for chunk in iter(tickets.__next__, None):
                if chunk >= k:
                    break
                if accumulator is None:
                    results[chunk] = kernel(*args, *bounds[chunk])
                    continue
                if acc is None:
                    acc = accumulator()
                kernel(*args, acc, *bounds[chunk])
            if acc is not None:
                accumulators.append(acc if finish is None else finish(acc))

    helpers = 0 if getattr(_state, "inside", False) else min(_threads, k) - 1
    if helpers:
        if _pool is None:
            from concurrent.futures import ThreadPoolExecutor

            _pool = ThreadPoolExecutor(max_workers=_threads - 1, thread_name_prefix="histeq")
        futures = [_pool.submit(work) for _ in range(helpers)]
    work()
    if helpers:
        for future in futures:
            future.result()
    return results if accumulator is None else accumulators
