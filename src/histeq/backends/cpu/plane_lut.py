"""A uint8 plane counted, planned and mapped in one call over the threads.

:func:`count_plan_map` is ``equalize``'s count -> plan -> apply for one 8-bit
grey plane (a video's Y plane, frame after frame), with the plan a Python
callback between the two passes; :func:`count_smooth_map` has the plan of a
video stream under method ``"opencv"`` (scene cut, smoothing, LUT) compiled
in, for no Python between the passes (50 - 80 microseconds a frame once
the passes have pushed the interpreter out of the caches). Counting and
mapping each run on every thread, as :func:`.count.count_bytes` and
:func:`.apply.apply_bytes` do, but with one hand-over instead of two: the helper threads take one job per
call, count their chunks, wait in compiled code (spinning, a few
microseconds: the plan runs on 256 bins) until the calling thread has
planned, and map their chunks. The calling thread never waits for a helper
to wake up: it takes chunks from the same counters, so a helper that starts
late (or never: a busy machine, a forked child) only leaves it more work.
On this project's 2-core VM, a thread hand-over costs 30 - 60 microseconds
each way, a tenth of the work on a 1080p plane.

Chunks are handed out through atomic counters in a small int64 array per
call (``ctl``); each thread counts into its own rows of 8 interleaved uint32
histograms (a run of equal pixels spreads over 8 counters), which the
calling thread sums once every chunk is counted. Waits spin a bounded time
and then return to Python, which yields the CPU and calls again, so a
thread whose partner was descheduled gives its core away, and an exception
in the plan ends the helpers' wait (``ctl[PHASE] = ABORTED``).

Results do not depend on the threads: integer counts, then one LUT.
"""

from __future__ import annotations

import os
import platform
import queue
import threading
from collections.abc import Callable
from typing import cast

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .._threads import get_num_threads
from . import vbmi
from .bins import jit
from .plans import _opencv_byte_offsets

#: Pixels per counting chunk and per mapping chunk.
COUNT_CHUNK = 1 << 16
MAP_CHUNK = 1 << 17
#: Planes smaller than this are done by the calling thread alone.
MIN_SHARED_PIXELS = 1 << 18
#: Interleaved histograms per thread.
_COPIES = 8
#: Spins of a wait (about 20 - 60 microseconds) before it returns to Python to yield.
_SPINS = 1 << 11

# ctl: the job's counters (int64): chunks claimed and done, of counting and
# of mapping, and the phase.
COUNT_CLAIMED, COUNT_DONE, MAP_CLAIMED, MAP_DONE, PHASE = range(5)
COUNTING, MAPPING, ABORTED = 0, 1, 2
#: What a worker returns: finished, or waiting (yield, then call again).
DONE, WAITING = 0, 1
#: What _smooth_opencv returns (bits): the frame starts a scene; the state holds it alone.
CUT, RESTARTED = 1, 2

_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")


def _element(context, builder, array_type, array, index):
    data = context.make_array(array_type)(context, builder, array)
    return cgutils.get_item_pointer(context, builder, array_type, data, [index], wraparound=False, boundscheck=False)


def _fetch_add_typing(typingctx, array, index):
    """``array[index] += 1`` atomically (int64 array); returns the old value."""

    def codegen(context, builder, signature, args):
        pointer = _element(context, builder, signature.args[0], args[0], args[1])
        return builder.atomic_rmw("add", pointer, ir.Constant(ir.IntType(64), 1), "seq_cst")

    return types.int64(array, index), codegen


def _load_typing(typingctx, array, index):
    """``array[index]`` read with acquire ordering (int64 array)."""

    def codegen(context, builder, signature, args):
        pointer = _element(context, builder, signature.args[0], args[0], args[1])
        return builder.load_atomic(pointer, "acquire", 8)

    return types.int64(array, index), codegen


def _store_typing(typingctx, array, index, value):
    """``array[index] = value`` with release ordering (int64 array)."""

    def codegen(context, builder, signature, args):
        pointer = _element(context, builder, signature.args[0], args[0], args[1])
        stored = context.cast(builder, args[2], signature.args[2], types.int64)
        builder.store_atomic(stored, pointer, "release", 8)
        return context.get_dummy_value()

    return types.void(array, index, value), codegen


def _pause_typing(typingctx):
    """The spin-wait hint (x86 ``pause``; nothing elsewhere)."""

    def codegen(context, builder, signature, args):
        if _X86:
            hint = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), []), "llvm.x86.sse2.pause"
            )
            builder.call(hint, [])
        return context.get_dummy_value()

    return types.void(), codegen


# The intrinsics as jitted code calls them (typed for mypy: numba's stub
# takes the typing context first).
_fetch_add = cast("Callable[[np.ndarray, int], int]", intrinsic(_fetch_add_typing))
_load = cast("Callable[[np.ndarray, int], int]", intrinsic(_load_typing))
_store = cast("Callable[[np.ndarray, int, int], None]", intrinsic(_store_typing))
_pause = cast("Callable[[], None]", intrinsic(_pause_typing))


@jit
def _wait(ctl, index, least):
    # Whether ctl[index] reached ``least`` within the spins.
    for _ in range(_SPINS):
        if _load(ctl, index) >= least:
            return True
        _pause()
    return _load(ctl, index) >= least


@jit
def _count_range(x, cols, stride, h, start, stop):
    # Counts pixels start..stop of a plane of rows of ``cols`` pixels, one
    # every ``stride`` bytes of the line ``x`` (pixels numbered row by row),
    # into the rows of h, pixel i of a row segment into row i % 8.
    p = start
    while p < stop:
        r = p // cols
        c = p - r * cols
        n = min(stop - p, cols - c)
        line = x[r * stride + c : r * stride + c + n]
        full = n // _COPIES * _COPIES
        for i in range(0, full, _COPIES):
            for j in range(_COPIES):
                h[j, line[i + j]] += 1
        for i in range(full, n):
            h[0, line[i]] += 1
        p += n


@jit
def _map_range_scalar(x, x_stride, lut, out, out_stride, cols, start, stop):
    # out = lut[x] over pixels start..stop (planes as in _count_range).
    p = start
    while p < stop:
        r = p // cols
        c = p - r * cols
        n = min(stop - p, cols - c)
        line = x[r * x_stride + c : r * x_stride + c + n]
        target = out[r * out_stride + c : r * out_stride + c + n]
        for i in range(n):
            target[i] = lut[line[i]]
        p += n


if vbmi.available():

    @jit
    def _map_range(x, x_stride, lut, out, out_stride, cols, start, stop):
        # As _map_range_scalar, 64 bytes per lookup (AVX-512 VBMI).
        p = start
        while p < stop:
            r = p // cols
            c = p - r * cols
            n = min(stop - p, cols - c)
            blocks = n // 64
            source, target = r * x_stride + c, r * out_stride + c
            vbmi._map_grey(x.ctypes.data + source, blocks, lut.ctypes.data, out.ctypes.data + target)
            for i in range(blocks * 64, n):
                out[target + i] = lut[x[source + i]]
            p += n

else:
    _map_range = _map_range_scalar


@jit
def _count_chunks(x, cols, stride, size, h, ctl, chunks):
    # Counts the chunks this thread claims, until none is left (or the caller gave up).
    while _load(ctl, PHASE) == COUNTING:
        chunk = _fetch_add(ctl, COUNT_CLAIMED)
        if chunk >= chunks:
            return
        _count_range(x, cols, stride, h, chunk * COUNT_CHUNK, min((chunk + 1) * COUNT_CHUNK, size))
        _fetch_add(ctl, COUNT_DONE)


@jit
def _map_chunks(x, x_stride, lut, out, out_stride, cols, size, ctl, chunks):
    # Maps the chunks this thread claims, until none is left (or the caller gave up).
    while _load(ctl, PHASE) == MAPPING:
        chunk = _fetch_add(ctl, MAP_CLAIMED)
        if chunk >= chunks:
            return
        _map_range(x, x_stride, lut, out, out_stride, cols, chunk * MAP_CHUNK, min((chunk + 1) * MAP_CHUNK, size))
        _fetch_add(ctl, MAP_DONE)


@jit
def _help(x, x_stride, out, out_stride, cols, size, tables, lut, ctl, slot, count_chunks, map_chunks):
    # A helper thread's part (re-entrant: called again after WAITING).
    _count_chunks(x, cols, x_stride, size, tables[slot], ctl, count_chunks)
    if not _wait(ctl, PHASE, MAPPING):
        return WAITING
    if _load(ctl, PHASE) == MAPPING:
        _map_chunks(x, x_stride, lut, out, out_stride, cols, size, ctl, map_chunks)
    return DONE


@jit
def _lead_count(x, x_stride, cols, size, tables, ctl, count_chunks, counts):
    # The calling thread's counting, then the sum of every thread's counts.
    _count_chunks(x, cols, x_stride, size, tables[0], ctl, count_chunks)
    if not _wait(ctl, COUNT_DONE, count_chunks):
        return WAITING
    counts[:] = 0
    for slot in range(tables.shape[0]):
        for j in range(_COPIES):
            for v in range(256):
                counts[v] += tables[slot, j, v]
    return DONE


@jit
def _lead_map(x, x_stride, out, out_stride, cols, size, lut, ctl, map_chunks):
    # Publishes the LUT, maps, waits for the helpers' chunks.
    if _load(ctl, PHASE) == COUNTING:
        _store(ctl, PHASE, MAPPING)
    _map_chunks(x, x_stride, lut, out, out_stride, cols, size, ctl, map_chunks)
    if not _wait(ctl, MAP_DONE, map_chunks):
        return WAITING
    return DONE


@jit
def _smooth_opencv(counts, mean, settings, lut):
    # The video stream's step for one uint8 plane with method "opencv", as
    # histeq._video does it in numpy (smoothing.histogram_distance,
    # Smoothed.push and counts, the stream's scene cut), operation for
    # operation: the same floats in the same order. settings: has_state,
    # decay, decay / (1 - decay), 1 - decay, scene_cut (negative: never).
    # Updates ``mean``, writes the LUT; returns CUT | RESTARTED bits.
    bins = counts.size
    cut = settings[0] == 0.0
    if not cut:
        frame_total = np.float64(counts.sum())  # an integer: exact
        state_total = 0.0
        for v in range(bins):
            state_total += mean[v]
        distance = 0.0
        if frame_total > 0 and state_total > 0 and bins >= 2:
            cdf = 0.0
            for v in range(bins):
                cdf += counts[v] / frame_total - mean[v] / state_total
                distance += abs(cdf)
            distance /= bins - 1
        cut = settings[4] >= 0.0 and distance > settings[4]
    restarted = cut or settings[1] == 0.0
    smoothed = counts
    if restarted:
        for v in range(bins):
            mean[v] = counts[v]
    else:
        smoothed = np.empty(bins, np.int64)
        cumulative = 0.0
        previous = 0.0
        for v in range(bins):
            mean[v] = (mean[v] * settings[2] + counts[v]) * settings[3]
            cumulative += mean[v]
            rounded = np.rint(cumulative)
            smoothed[v] = np.int64(rounded - previous) if v else np.int64(rounded)
            previous = rounded
    if not _opencv_byte_offsets(smoothed, lut):
        for v in range(bins):
            lut[v] = v
    return (CUT if cut else 0) | (RESTARTED if restarted else 0)


class _Helpers:
    """Daemon threads that take jobs from one queue (started as needed,
    never stopped: idle, they sleep in ``get``)."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.started = 0
        self.lock = threading.Lock()

    def submit(self, count: int, job: tuple) -> None:
        with self.lock:
            while self.started < count:
                threading.Thread(target=self._serve, name=f"histeq-plane-{self.started}", daemon=True).start()
                self.started += 1
        for slot in range(1, count + 1):
            self.jobs.put((slot, job))

    def _serve(self) -> None:
        while True:
            slot, (x, x_stride, out, out_stride, cols, size, tables, lut, ctl, count_chunks, map_chunks) = (
                self.jobs.get()
            )
            while (
                _help(x, x_stride, out, out_stride, cols, size, tables, lut, ctl, slot, count_chunks, map_chunks)
                == WAITING
            ):
                os.sched_yield()
            del x, out, tables, lut, ctl  # the planes are the caller's again

    def forget(self) -> None:
        # In a forked child: the parent's threads are not there.
        self.jobs, self.started, self.lock = queue.SimpleQueue(), 0, threading.Lock()


_helpers = _Helpers()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_helpers.forget)


def rows_of(plane: np.ndarray) -> tuple[np.ndarray, int] | None:
    """A 2-D uint8 ``plane`` whose rows have unit stride as ``(line, stride)``:
    a C-contiguous 1-D view from its first pixel to its last, and the
    distance between rows; None for other layouts (negative or overlapping
    rows)."""
    rows, cols = plane.shape
    stride = plane.strides[0] if rows > 1 else cols
    if (plane.strides[1] != 1 and cols > 1) or stride < cols:
        return None
    span = (rows - 1) * stride + cols if plane.size else 0
    return np.lib.stride_tricks.as_strided(plane, (span,), (1,)), stride


def count_smooth_map(
    x: np.ndarray, out: np.ndarray, mean: np.ndarray, has_state: bool, decay: float, scene_cut: float | None
) -> tuple[np.ndarray, bool, bool]:
    """:func:`count_plan_map` with the plan of a video stream's uint8 plane
    under method ``"opencv"`` compiled in (no Python between the passes):
    the scene-cut distance to the smoothed histogram ``mean``, its update by
    the frame, its integer counts and cv2.equalizeHist's LUT, each as
    :mod:`histeq._video` computes them in numpy, to the last bit.

    Parameters
    ----------
    x, out : ndarray of uint8, shape (rows, cols)
        As in :func:`count_plan_map`.
    mean : ndarray of float64, shape (256,)
        The stream's smoothed histogram, updated in place (the frame's counts
        when the frame restarts it).
    has_state : bool
        Whether ``mean`` holds frames (False: the frame starts a scene).
    decay : float
        The decay ``a`` of the moving average, ``0 <= a < 1`` (0: each frame alone).
    scene_cut : float or None
        The distance above which the frame starts a new scene.

    Returns
    -------
    counts : ndarray of int64, shape (256,)
        The frame's histogram.
    cut : bool
        Whether the frame starts a new scene.
    restarted : bool
        Whether ``mean`` now holds the frame alone (a cut, or no smoothing).
    """
    settings = np.array(
        [
            float(has_state),
            decay,
            decay / (1.0 - decay),
            1.0 - decay,
            -1.0 if scene_cut is None else scene_cut,
        ]
    )
    code = 0

    def plan(counts: np.ndarray, lut: np.ndarray) -> None:
        nonlocal code
        code = _smooth_opencv(counts, mean, settings, lut)

    counts = _run(x, out, plan)
    return counts, bool(code & CUT), bool(code & RESTARTED)


def count_plan_map(x: np.ndarray, out: np.ndarray, plan: Callable[[np.ndarray], np.ndarray | None]) -> np.ndarray:
    """``out = lut[x]`` with ``lut = plan(counts)``, ``counts`` the histogram of ``x``.

    Parameters
    ----------
    x : ndarray of uint8, shape (rows, cols)
        The plane: rows of unit stride, one after the other in memory
        (:func:`rows_of`), fewer than 2**32 pixels.
    out : ndarray of uint8, shape (rows, cols)
        Where the mapped plane goes, laid out as ``x`` may be; may be ``x``
        itself (every pixel is counted before any is written), no other
        overlap.
    plan : callable
        ``plan(counts)`` with int64 ``counts`` of length 256 returns a uint8
        LUT of 256 entries, or None (``out`` becomes a copy of ``x``); called
        on the calling thread between the passes. What it raises is raised
        here, with ``out`` not written.

    Returns
    -------
    ndarray of int64, shape (256,)
        The counts.

    Memory: per thread 8 KB of histograms, and a 256-byte LUT.
    """

    def fill(counts: np.ndarray, lut: np.ndarray) -> None:
        planned = plan(counts)
        lut[:] = _IDENTITY if planned is None else planned

    return _run(x, out, fill)


def _run(x: np.ndarray, out: np.ndarray, fill: Callable[[np.ndarray, np.ndarray], None]) -> np.ndarray:
    # Count (on the threads), fill(counts, lut) on this one, map (on the threads).
    source, target = rows_of(x), rows_of(out)
    if source is None or target is None:
        raise ValueError("count_plan_map takes planes whose rows have unit stride")
    (line, stride), (out_line, out_stride) = source, target
    cols, size = x.shape[1], x.size
    count_chunks = -(-size // COUNT_CHUNK)
    map_chunks = -(-size // MAP_CHUNK)
    helpers = min(get_num_threads(), count_chunks) - 1 if size >= MIN_SHARED_PIXELS else 0
    tables = np.zeros((helpers + 1, _COPIES, 256), np.uint32)
    ctl = np.zeros(5, np.int64)
    lut = np.empty(256, np.uint8)
    counts = np.empty(256, np.int64)
    if helpers:
        job = (line, stride, out_line, out_stride, cols, size, tables, lut, ctl, count_chunks, map_chunks)
        _helpers.submit(helpers, job)
    finished = False
    try:
        while _lead_count(line, stride, cols, size, tables, ctl, count_chunks, counts) == WAITING:
            os.sched_yield()
        fill(counts, lut)
        while _lead_map(line, stride, out_line, out_stride, cols, size, lut, ctl, map_chunks) == WAITING:
            os.sched_yield()
        finished = True
    finally:
        if not finished:
            ctl[PHASE] = ABORTED
    return counts


_IDENTITY = np.arange(256, dtype=np.uint8)


def warm() -> None:
    """Load the compiled code of :func:`count_smooth_map` and
    :func:`count_plan_map` from numba's cache (0.15 - 0.2 s on the first
    use of any kernel, a few milliseconds after), e.g. on a thread of its
    own while a video starts."""
    pixel = np.zeros((1, 1), np.uint8)
    count_smooth_map(pixel, pixel, np.zeros(256), False, 0.5, None)
