"""Many image files through one command: inputs -> jobs, run (in worker processes), progress, report.

The command line hands a picklable ``work(source, output)`` function (read,
transform, safe write) to :func:`run_command`, which decides what to write
where, skips what exists, keeps going past failures and reports.
"""

from __future__ import annotations

import argparse
import glob
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .backends import get_num_threads, set_num_threads
from .io import TEMPORARY_PREFIX

#: The suffixes (lower case) of the files taken from an input folder.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".npy"})

#: What can happen to one file.
STATUSES = ("done", "skipped", "failed")

Work = Callable[[Path, Path], None]

#: Blocks up to this size come from the heap, see :func:`keep_freed_memory`
#: (glibc's upper limit on 64-bit machines: 32 MiB, a 4K RGBA image).
MMAP_THRESHOLD = 32 * 2**20
#: Freed memory the heap keeps before returning it to the system.
TRIM_THRESHOLD = 256 * 2**20
#: glibc's ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


@dataclass(frozen=True)
class Job:
    """One file to process: ``source`` -> ``output``, or an ``error`` known before any work."""

    source: Path
    output: Path | None
    error: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one job: a status of :data:`STATUSES`, and the reason of a failure."""

    job: Job
    status: str
    error: str | None = None


def is_batch(inputs: list[Path]) -> bool:
    """Whether ``inputs`` name many files, so that ``-o`` names an output folder.

    Parameters
    ----------
    inputs : list of Path
        The INPUT arguments: files, folders or glob patterns.

    Returns
    -------
    bool
        False for one input that is neither a folder nor a glob pattern.
    """
    return len(inputs) != 1 or inputs[0].is_dir() or _is_pattern(inputs[0])


def plan_jobs(inputs: list[Path], output_folder: Path) -> list[Job]:
    """The jobs of a batch: every input file and its output below ``output_folder``.

    A folder gives every image file below it (by suffix, see
    :data:`IMAGE_SUFFIXES`; not the output folder, nor temporary files),
    written at the same relative path below ``output_folder``; a file, or a
    file a glob pattern matches, is written under its own name there.

    Parameters
    ----------
    inputs : list of Path
        Files, folders or glob patterns (expanded here, ``**`` included).
    output_folder : Path
        The folder that receives the outputs.

    Returns
    -------
    list of Job
        In input order, each folder sorted. A pattern that matches nothing, an
        output that is its input and a second job for the same output carry
        their ``error``.
    """
    jobs = [job for given in inputs for job in _jobs_of(given, output_folder)]
    return _refuse_conflicts(jobs)


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
        _make_folders(jobs)
    else:
        jobs = [Job(args.input[0], args.output)]
    progress = Progress(len(jobs), enabled=batch and sys.stderr.isatty())
    outcomes = run_jobs(jobs, work, workers=args.workers, skip_existing=batch and not args.force, progress=progress)
    seconds = time.monotonic() - started
    if args.json:
        print(json.dumps(_json_report(args, outcomes, seconds), indent=2))
    elif batch:
        print(_summary(args.command, outcomes, seconds))
    elif outcomes[0].status == "done":  # on stderr when the image goes to standard output
        stream = sys.stderr if str(args.output) == "-" else sys.stdout
        print(f"{args.input[0]} -> {args.output} ({describe(args)})", file=stream)
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
        elif skip_existing and os.path.lexists(job.output):
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


def describe(args: argparse.Namespace) -> str:
    """The command and its method, as reports name them: ``"equalize, opencv"``."""
    method = getattr(args, "method", None)
    return args.command if method is None else f"{args.command}, {method}"


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` are one file: the same path, or a hard or symbolic link to it.

    Parameters
    ----------
    a, b : Path
        The paths; either may not exist.

    Returns
    -------
    bool
    """
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return a.resolve() == b.resolve()


class Progress:
    """A tqdm progress bar on stderr (counts, rate, ETA), drawn only when enabled.

    Failures are written as lines of their own above it, enabled or not.

    Parameters
    ----------
    total : int
        How many files the batch has.
    enabled : bool
        Draw the bar (histeq enables it when stderr is a terminal).
    stream : file, optional
        Where to write; ``sys.stderr`` by default.
    """

    def __init__(self, total: int, *, enabled: bool, stream: TextIO | None = None) -> None:
        from tqdm import tqdm

        self.stream = stream if stream is not None else sys.stderr
        self.counts: Counter[str] = Counter()
        self.bar = tqdm(total=total, disable=not enabled, file=self.stream, unit="file", dynamic_ncols=True)

    def update(self, outcome: Outcome) -> None:
        """Count one outcome, report a failure on a line of its own and redraw."""
        self.counts[outcome.status] += 1
        if outcome.status == "failed":
            self.bar.write(f"histeq: error: {outcome.error}", file=self.stream)
        self.bar.set_postfix_str(self.tally(), refresh=False)
        self.bar.update()

    def close(self) -> None:
        """End the progress bar."""
        self.bar.close()

    def tally(self) -> str:
        """How many files were done, skipped and failed so far."""
        return ", ".join(f"{self.counts[status]} {status}" for status in STATUSES)


def _attempt(work: Work, job: Job) -> str | None:
    """Run ``work`` on one job: None, or the reason of its failure in one line naming the file."""
    try:
        work(job.source, job.output)
    except (OSError, ValueError, TypeError) as exc:
        return _naming(job.source, str(exc))
    except Exception as exc:  # one file's unexpected failure must not end the batch
        return _naming(job.source, f"{type(exc).__name__}: {exc}")
    return None


def _summary(command: str, outcomes: list[Outcome], seconds: float) -> str:
    """One line: how many files were done, skipped and failed, and how long it took."""
    counts = _totals(outcomes)
    return (
        f"histeq {command}: {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed "
        f"({len(outcomes)} files) in {seconds:.1f} s"
    )


def _json_report(args: argparse.Namespace, outcomes: list[Outcome], seconds: float) -> dict:
    """The report of ``--json``: ``command``, ``inputs``, ``output``, ``files`` (``input``,
    ``output``, ``status``, ``error``: a message or None), ``totals`` and ``seconds``."""
    files = [
        {
            "input": str(outcome.job.source),
            "output": None if outcome.job.output is None else str(outcome.job.output),
            "status": outcome.status,
            "error": outcome.error,
        }
        for outcome in outcomes
    ]
    return {
        "command": args.command,
        "inputs": [str(given) for given in args.input],
        "output": str(args.output),
        "files": files,
        "totals": {**_totals(outcomes), "files": len(outcomes)},
        "seconds": round(seconds, 3),
    }


def _is_pattern(path: Path) -> bool:
    return not os.path.lexists(path) and any(char in str(path) for char in "*?[")


def _jobs_of(given: Path, output_folder: Path) -> list[Job]:
    if _is_pattern(given):
        matches = sorted(Path(match) for match in glob.glob(str(given), recursive=True))
        if not matches:
            return [Job(given, None, f"{str(given)!r}: no files match this pattern")]
        return [job for match in matches for job in _jobs_of(match, output_folder)]
    if given.is_dir():
        return [Job(path, output_folder / path.relative_to(given)) for path in _image_files(given, output_folder)]
    return [Job(given, output_folder / given.name)]


def _image_files(folder: Path, output_folder: Path) -> list[Path]:
    """Every image file below ``folder`` (sorted), leaving out ``output_folder`` and temporary files."""
    found = []
    for root, folders, names in os.walk(folder):
        folders[:] = sorted(name for name in folders if not same_file(Path(root, name), output_folder))
        found.extend(
            Path(root, name)
            for name in sorted(names)
            if Path(name).suffix.lower() in IMAGE_SUFFIXES and not name.startswith(TEMPORARY_PREFIX)
        )
    return found


def _refuse_conflicts(jobs: list[Job]) -> list[Job]:
    """Jobs that would write over their input, or over another job's output, get an error."""
    first: dict[Path, Path] = {}
    checked = []
    for job in jobs:
        if job.error is None and same_file(job.output, job.source):
            job = Job(job.source, job.output, f"{str(job.source)!r}: the output is the input file; write elsewhere")
        elif job.error is None and job.output.resolve() in first:
            other = first[job.output.resolve()]
            clash = f"{str(job.source)!r}: output {str(job.output)!r} is also {str(other)!r}'s"
            job = Job(job.source, job.output, clash)
        elif job.error is None:
            first[job.output.resolve()] = job.source
        checked.append(job)
    return checked


def _make_folders(jobs: list[Job]) -> None:
    """Create the output folders of the jobs that will run (the mirrored tree)."""
    for folder in sorted({job.output.parent for job in jobs if job.error is None}):
        folder.mkdir(parents=True, exist_ok=True)


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


def _totals(outcomes: list[Outcome]) -> dict[str, int]:
    counts = Counter(outcome.status for outcome in outcomes)
    return {status: counts[status] for status in STATUSES}
