"""Running a command's jobs: in this process (several files at once on threads, by default)
or a pool of worker processes, skipping what exists.

The command line hands a picklable ``work(source, output)`` function (read,
transform, safe write) to :func:`run_command`, which decides what to write
where (:mod:`.jobs`), removes the temporary files of runs that died there,
skips what exists, keeps going past failures and reports (:mod:`.report`).

Stopping: SIGTERM is handled as Ctrl-C (:class:`Terminated`, a
``KeyboardInterrupt``): the file being written loses its temporary file and
the command exits with 143 (130 for Ctrl-C); files under way on other threads
are finished first (each written whole). Worker processes leave SIGINT to
the command, which stops them with SIGTERM; they stop too when the command
dies, even by SIGKILL (Linux: ``PR_SET_PDEATHSIG``; elsewhere a thread that
watches the parent process).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from histeq.backends import get_num_threads, load_compiled, serial, set_num_threads
from histeq.io import FORMATS_BY_NAME, remove_stale_temporaries
from histeq.io.safe_write import signals_held

from .jobs import STREAM, Batch, Job, Outcome, is_batch, make_folders, plan_beside, plan_jobs
from .report import Progress, error_text, print_report

if TYPE_CHECKING:  # pools are imported when used (a one-file run has none)
    from concurrent.futures import ProcessPoolExecutor

#: ``work(source, output)``: what a command does to one file.
Work = Callable[[Path, Path], None]

#: Blocks up to this size come from the heap, see :func:`keep_freed_memory`
#: (glibc's upper limit on 64-bit machines: 32 MiB, a 4K RGBA image).
MMAP_THRESHOLD = 32 * 2**20
#: Freed memory the heap keeps before returning it to the system.
TRIM_THRESHOLD = 256 * 2**20
#: glibc's ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3

#: Exit statuses of a run stopped by Ctrl-C (SIGINT) and by SIGTERM: 128 + the signal.
INTERRUPTED, TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM
#: Files a threaded run works on at once beyond the kernel threads (the CPUs):
#: while one waits for the disk (``fsync``), another uses its core. On 100
#: 1080p JPEGs (2 CPUs shared with other work) 2 + 2 threads took 3-20% less
#: time than 2 + 0, and 13% less than one file at a time.
FILE_THREADS_AHEAD = 2
#: Runs in this process with at least this many files load the compiled
#: kernels at once, on a thread of their own while the first files are read
#: (:func:`histeq.backends.load_compiled`), instead of starting on the numpy
#: backend: on 1080p photos numpy's extra time (about 20 ms a photo) outweighs
#: loading them (0.35 s with a warm cache) from the 16th on, and its 0.5 s
#: limit then comes on top; a folder of 100 took 0.1 s less. A few small
#: images pay up to 0.35 s more.
COMPILED_FROM_FILES = 8
#: Seconds workers get to remove their temporary files when stopped, before SIGKILL.
STOP_SECONDS = 5.0
#: Seconds between two looks at the parent process, where a worker cannot
#: ask the system for a signal when its parent dies.
WATCH_SECONDS = 0.25
#: Linux's ``prctl`` option that asks for a signal when the parent process dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C: what is being written is removed, and the
    command exits with :data:`TERMINATED`."""


def interrupted_status(exc: KeyboardInterrupt) -> int:
    """The exit status of a command stopped by ``exc``: :data:`TERMINATED`
    for SIGTERM (:class:`Terminated`), :data:`INTERRUPTED` for Ctrl-C."""
    return TERMINATED if isinstance(exc, Terminated) else INTERRUPTED


def report_interrupt(exc: KeyboardInterrupt) -> int:
    """Say on standard error that the command was interrupted or terminated
    by ``exc``, and return its exit status (:func:`interrupted_status`)."""
    print(f"histeq: {'terminated' if isinstance(exc, Terminated) else 'interrupted'}", file=sys.stderr)
    return interrupted_status(exc)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While in this block, SIGTERM raises :class:`Terminated` in the main
    thread (elsewhere, or where signals cannot be handled: nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def run_command(args: argparse.Namespace, work: Work) -> int:
    """Run ``work`` on every file ``args`` names, print the outcome and return the exit status.

    Parameters
    ----------
    args : argparse.Namespace
        ``input`` (list of Path), ``output`` or ``suffix``, ``force``,
        ``workers``, ``json``, ``plot`` and ``command``, as the command line
        parses them, and ``format``: in a batch, the outputs' format. Missing
        output folders are created, for one file too; with ``suffix`` every
        run is a batch (outputs beside their inputs).
    work : callable
        ``work(source, output)`` processes one file; it must be picklable
        (a module-level function or a ``functools.partial`` of one) for
        ``workers > 1``.

    Returns
    -------
    int
        0 when every file was done or skipped, 1 when any failed.
    """
    started, now = time.monotonic(), time.time()
    keep_freed_memory()
    batch: Batch | None = None
    extension = FORMATS_BY_NAME[args.format.upper()].suffixes[0] if args.format else None
    if args.suffix is not None:
        batch = plan_beside(args.input, args.suffix, plot=args.plot, extension=extension)
    elif is_batch(args.input):
        batch = plan_jobs(args.input, args.output, plot=args.plot, extension=extension)
    jobs = [Job(args.input[0], args.output)] if batch is None else batch.jobs
    make_folders(jobs)
    outputs = [job.output for job in jobs if job.error is None and job.output not in (None, STREAM)]
    remove_stale_temporaries(sorted({output.parent for output in outputs if output is not None}), before=now)
    progress = Progress(len(jobs), enabled=batch is not None and sys.stderr.isatty())
    skip_existing = batch is not None and not args.force
    outcomes = run_jobs(jobs, work, workers=args.workers, skip_existing=skip_existing, progress=progress)
    print_report(args, outcomes, time.monotonic() - started, batch=batch)
    return 1 if any(outcome.status == "failed" for outcome in outcomes) else 0


def run_jobs(
    jobs: list[Job], work: Work, *, workers: int | None, skip_existing: bool, progress: Progress
) -> list[Outcome]:
    """Run ``work`` on each job: in ``workers`` processes when more than 1,
    in this process's threads when None.

    Parameters
    ----------
    jobs : list of Job
        The files, in the order of the result.
    work : callable
        ``work(source, output)``, see :func:`run_command`.
    workers : int or None
        How many processes work at once; 1 works in this process, one file
        at a time. None (the command line's default): this process works
        on :data:`FILE_THREADS_AHEAD` more files at once than
        :func:`histeq.backends.get_num_threads`, in threads (Pillow's codecs,
        the kernels and ``fsync`` release the GIL, and the kernels load
        once: measured faster than processes and than one file at a time,
        see ``benchmarks/bench_cli.py``).
    skip_existing : bool
        Skip jobs whose output exists instead of running them.
    progress : Progress
        Told about every outcome; failures are reported through it.

    Returns
    -------
    list of Outcome
        One per job, in the order of ``jobs``.
    """
    outcomes: dict[int, Outcome] = {}
    pending = []
    for index, job in enumerate(jobs):
        if job.error is not None:
            outcomes[index] = _record(Outcome(job, "failed", job.error), progress)
        elif skip_existing and job.output is not None and os.path.lexists(job.output):
            outcomes[index] = _record(Outcome(job, "skipped"), progress)
        else:
            pending.append(index)
    if len(pending) >= COMPILED_FROM_FILES and (workers is None or workers == 1):
        load_compiled()
    if workers is None and len(pending) > 1:
        outcomes.update(_run_in_threads(jobs, pending, work, get_num_threads() + FILE_THREADS_AHEAD, progress))
    elif workers is None or workers == 1 or len(pending) <= 1:
        for index in pending:
            outcomes[index] = _record(_outcome(jobs[index], _attempt(work, jobs[index])), progress)
    else:
        outcomes.update(_run_in_processes(jobs, pending, work, workers, progress))
    progress.close()
    return [outcomes[index] for index in range(len(jobs))]


def keep_freed_memory() -> None:
    """Keep the memory of freed images in this process for the next file (glibc only).

    glibc's ``malloc`` gives each large block (an image, its decoded bytes, a
    result) fresh pages from the system and returns them when freed, so every
    file of a batch pays the page faults of its images again: on 1080p RGB
    JPEGs that was about 7 ms a file, a quarter of the command's time. Here
    blocks up to :data:`MMAP_THRESHOLD` come from the heap, and the heap keeps
    up to :data:`TRIM_THRESHOLD` of freed memory for the next one. Process-wide,
    which is why the command line sets it, in each of its processes, and the
    library does not. Does nothing where the C library is not glibc.
    """
    import ctypes
    import platform

    if platform.libc_ver()[0] != "glibc":
        return
    libc = ctypes.CDLL(None)
    libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)


def _attempt(work: Work, job: Job) -> str | None:
    """Run ``work`` on one job: None, or the reason of its failure in one line naming the file."""
    try:
        assert job.output is not None  # jobs with an error are not attempted
        work(job.source, job.output)
    except (OSError, ValueError, TypeError) as exc:
        return _naming(job.source, error_text(exc))
    except Exception as exc:  # one file's unexpected failure must not end the batch
        return _naming(job.source, f"{type(exc).__name__}: {exc}")
    return None


def _attempt_serially(work: Work, job: Job) -> str | None:
    # On a file thread: the files keep the cores busy, so each file's kernels
    # run on its own thread (see histeq.backends.serial).
    with serial():
        return _attempt(work, job)


def _start_worker(threads: int, parent: int | None = None) -> None:
    """Set up a worker process: its kernels' threads, freed memory kept for the
    next file, SIGINT left to the parent, SIGTERM handled (see
    :func:`_attempt_in_worker`) and, given the ``parent`` process id, an end
    when the parent dies."""
    set_num_threads(threads)
    keep_freed_memory()
    if parent is None:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops its workers
    signal.signal(signal.SIGTERM, _worker_terminated)
    if not _signal_when_parent_dies(signal.SIGTERM):
        threading.Thread(target=_watch_parent, args=(parent,), name="histeq-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(TERMINATED)


#: Whether this worker process is running a job (read by its SIGTERM handler).
_in_job = False


def _worker_terminated(signum: int, frame: FrameType | None) -> None:
    """A worker's SIGTERM: unwind the job (its temporary file is removed), or end at once between jobs.
    Once: another SIGTERM (the pool terminating its workers when one has
    ended, the parent's death signal) must not cut the clean-up short."""
    if _in_job:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated
    os._exit(TERMINATED)


def _attempt_in_worker(work: Work, job: Job) -> str | None:
    """:func:`_attempt` in a worker process, which ends when SIGTERM stops the job."""
    global _in_job
    _in_job = True
    try:
        return _attempt(work, job)
    except KeyboardInterrupt:  # SIGTERM: the job's temporary file is removed by now
        os._exit(TERMINATED)
    finally:
        _in_job = False


def _signal_when_parent_dies(signum: int) -> bool:
    """Ask Linux for ``signum`` when the parent process dies; False where it cannot be asked."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signum), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int, interval: float = WATCH_SECONDS) -> None:
    """Send this process SIGTERM once its parent ``parent`` has died (it then has another)."""
    while os.getppid() == parent:
        time.sleep(interval)
    os.kill(os.getpid(), signal.SIGTERM)


def _run_in_threads(
    jobs: list[Job], pending: list[int], work: Work, threads: int, progress: Progress
) -> dict[int, Outcome]:
    # Files on threads of this process: Pillow's decoders and encoders, the
    # kernels and fsync release the GIL, so files overlap; kernels load once.
    # Stopped (Ctrl-C, SIGTERM, a failure here): no new file starts, and the
    # files under way finish (each written whole) before the exception goes
    # on, however often Ctrl-C comes meanwhile.
    from concurrent.futures import ThreadPoolExecutor, as_completed

    outcomes = {}
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="histeq-file")
    try:
        futures = {executor.submit(_attempt_serially, work, jobs[index]): index for index in pending}
        for future in as_completed(futures):
            index = futures[future]
            outcomes[index] = _record(_outcome(jobs[index], future.result()), progress)
    finally:
        with signals_held():  # Ctrl-C again: raised once the files under way are written
            executor.shutdown(cancel_futures=True)
    return outcomes


def _run_in_processes(
    jobs: list[Job], pending: list[int], work: Work, workers: int, progress: Progress
) -> dict[int, Outcome]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    outcomes = {}
    # "spawn": fresh workers, no copies of this process's threads or locks.
    # Each worker's kernels share the CPUs with the other workers' instead of
    # each taking all of them.
    threads = max(1, get_num_threads() // workers)
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(threads, os.getpid()),
    )
    try:
        futures = {executor.submit(_attempt_in_worker, work, jobs[index]): index for index in pending}
        for future in as_completed(futures):
            index = futures[future]
            try:
                error = future.result()
            except BrokenProcessPool as exc:  # a worker was killed (out of memory, ...)
                error = _naming(jobs[index].source, f"a worker process ended abruptly ({exc})")
            outcomes[index] = _record(_outcome(jobs[index], error), progress)
    except BaseException:  # Ctrl-C, SIGTERM, or a failure here: the workers stop now
        _stop_workers(executor)
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return outcomes


def _stop_workers(executor: ProcessPoolExecutor) -> None:
    """SIGTERM to every worker (each removes the temporary file it is writing
    and ends), SIGKILL to those still alive after :data:`STOP_SECONDS`."""
    table = getattr(executor, "_processes", None) or {}  # the pool's own table: pid -> process
    workers = list(table.values())
    for process in workers:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in workers:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in workers:
        if process.is_alive():
            process.kill()
            process.join(1.0)


def _outcome(job: Job, error: str | None) -> Outcome:
    return Outcome(job, "done") if error is None else Outcome(job, "failed", error)


def _record(outcome: Outcome, progress: Progress) -> Outcome:
    progress.update(outcome)
    return outcome


def _naming(source: Path, message: str) -> str:
    """``message``, led by the file's name unless it names it already."""
    return message if str(source) in message else f"{str(source)!r}: {message}"
