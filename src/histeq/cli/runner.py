"""Running a command's jobs: in this process or a pool of worker processes, skipping what exists.

The command line hands a picklable ``work(source, output)`` function (read,
transform, safe write) to :func:`run_command`, which decides what to write
where (:mod:`.jobs`), skips what exists, keeps going past failures and
reports (:mod:`.report`).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from histeq.backends import get_num_threads, set_num_threads

from .jobs import Job, Outcome, is_batch, make_folders, plan_jobs
from .report import Progress, print_report

#: ``work(source, output)``: what a command does to one file.
Work = Callable[[Path, Path], None]

#: Blocks up to this size come from the heap, see :func:`keep_freed_memory`
#: (glibc's upper limit on 64-bit machines: 32 MiB, a 4K RGBA image).
MMAP_THRESHOLD = 32 * 2**20
#: Freed memory the heap keeps before returning it to the system.
TRIM_THRESHOLD = 256 * 2**20
#: glibc's ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def run_command(args: argparse.Namespace, work: Work) -> int:
    """Run ``work`` on every file ``args`` names, print the outcome and return the exit status.

    Parameters
    ----------
    args : argparse.Namespace
        ``input`` (list of Path), ``output``, ``force``, ``workers``, ``json``
        and ``command``, as the command line parses them.
    work : callable
        ``work(source, output)`` processes one file; it must be picklable
        (a module-level function or a ``functools.partial`` of one) for
        ``workers > 1``.

    Returns
    -------
    int
        0 when every file was done or skipped, 1 when any failed.
    """
    started = time.monotonic()
    keep_freed_memory()
    batch = is_batch(args.input)
    if batch:
        jobs = plan_jobs(args.input, args.output)
        make_folders(jobs)
    else:
        jobs = [Job(args.input[0], args.output)]
    progress = Progress(len(jobs), enabled=batch and sys.stderr.isatty())
    outcomes = run_jobs(jobs, work, workers=args.workers, skip_existing=batch and not args.force, progress=progress)
    print_report(args, outcomes, time.monotonic() - started, batch=batch)
    return 1 if any(outcome.status == "failed" for outcome in outcomes) else 0


def run_jobs(jobs: list[Job], work: Work, *, workers: int, skip_existing: bool, progress: Progress) -> list[Outcome]:
    """Run ``work`` on each job, in ``workers`` processes when more than 1.

    Parameters
    ----------
    jobs : list of Job
        The files, in the order of the result.
    work : callable
        ``work(source, output)``, see :func:`run_command`.
    workers : int
        How many processes work at once; 1 works in this process.
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
    if workers == 1 or len(pending) <= 1:
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
        return _naming(job.source, str(exc))
    except Exception as exc:  # one file's unexpected failure must not end the batch
        return _naming(job.source, f"{type(exc).__name__}: {exc}")
    return None


def _start_worker(threads: int) -> None:
    """Set up a worker process: its kernels' threads, and freed memory kept for the next file."""
    set_num_threads(threads)
    keep_freed_memory()


def _run_in_processes(
    jobs: list[Job], pending: list[int], work: Work, workers: int, progress: Progress
) -> dict[int, Outcome]:
    outcomes = {}
    # "spawn": fresh workers, no copies of this process's threads or locks.
    # Each worker's kernels share the CPUs with the other workers' instead of
    # each taking all of them.
    threads = max(1, get_num_threads() // workers)
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(threads,),
    )
    try:
        futures = {executor.submit(_attempt, work, jobs[index]): index for index in pending}
        for future in as_completed(futures):
            index = futures[future]
            try:
                error = future.result()
            except BrokenProcessPool as exc:  # a worker was killed (out of memory, ...)
                error = _naming(jobs[index].source, f"a worker process ended abruptly ({exc})")
            outcomes[index] = _record(_outcome(jobs[index], error), progress)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return outcomes


def _outcome(job: Job, error: str | None) -> Outcome:
    return Outcome(job, "done") if error is None else Outcome(job, "failed", error)


def _record(outcome: Outcome, progress: Progress) -> Outcome:
    progress.update(outcome)
    return outcome


def _naming(source: Path, message: str) -> str:
    """``message``, led by the file's name unless it names it already."""
    return message if str(source) in message else f"{str(source)!r}: {message}"
