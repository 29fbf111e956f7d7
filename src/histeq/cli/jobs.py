"""Inputs -> jobs: files, folders and glob patterns, the output each one gets, and conflicts refused.

A :class:`Job` is one file to process (or an error known before any work); an
:class:`Outcome` is what happened to it.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from histeq.io import TEMPORARY_PREFIX

#: The file name that stands for standard input (as INPUT) or output (as -o).
STREAM = Path("-")

#: The suffixes (lower case) of the files taken from an input folder.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".npy"})

#: What can happen to one file.
STATUSES = ("done", "skipped", "failed")


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


def make_folders(jobs: list[Job]) -> None:
    """Create the output folders of the jobs that will run (the mirrored tree).

    Parameters
    ----------
    jobs : list of Job
        The jobs; those with an ``error`` are left out.
    """
    for folder in sorted({job.output.parent for job in jobs if job.error is None and job.output is not None}):
        folder.mkdir(parents=True, exist_ok=True)


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
    found: list[Path] = []
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
        source, output = job.source, job.output
        if job.error is None and output is not None:
            if same_file(output, source):
                job = Job(source, output, f"{str(source)!r}: the output is the input file; write elsewhere")
            elif output.resolve() in first:
                other = first[output.resolve()]
                job = Job(source, output, f"{str(source)!r}: output {str(output)!r} is also {str(other)!r}'s")
            else:
                first[output.resolve()] = source
        checked.append(job)
    return checked
