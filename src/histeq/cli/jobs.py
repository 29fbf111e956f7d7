"""Inputs -> jobs: files, folders and glob patterns, the output each one gets, and conflicts refused.

A :class:`Job` is one file to process (or an error known before any work); an
:class:`Outcome` is what happened to it.
"""

from __future__ import annotations

import argparse
import functools
import os
import stat
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from histeq.io import TEMPORARY_PREFIX, read_suffixes
from histeq.io.formats import is_zarr_path
from histeq.plot import plot_path

#: The file name that stands for standard input (as INPUT) or output (as -o).
STREAM = Path("-")

#: What can happen to one file.
STATUSES = ("done", "skipped", "failed")


@dataclass(frozen=True)
class Job:
    """One file to process: ``source`` -> ``output``, or an ``error`` known before any work."""

    source: Path
    output: Path | None
    error: str | None = None


@dataclass(frozen=True)
class Batch:
    """The jobs of a batch, and the files of its input folders it passed over.

    Attributes
    ----------
    jobs : list of Job
        The files to process, in input order.
    not_images : list of Path
        Files of the input folders whose suffix names no image format.
    earlier_outputs : list of Path
        With ``suffix``: inputs whose names end with it (outputs of an earlier run).
    suffix : str or None
        ``--suffix``, when the outputs go beside their inputs.
    """

    jobs: list[Job]
    not_images: list[Path] = field(default_factory=list)
    earlier_outputs: list[Path] = field(default_factory=list)
    suffix: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one job: a status of :data:`STATUSES`, and the reason of a failure."""

    job: Job
    status: str
    error: str | None = None


def wants_zarr(args: argparse.Namespace) -> bool:
    """Whether the command line reads or writes a Zarr store (a Zarr run: :mod:`.zarr_jobs`)."""
    output = getattr(args, "output", None)
    return any(is_zarr_path(path) for path in args.input) or (output is not None and is_zarr_path(output))


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


def plan_jobs(inputs: list[Path], output_folder: Path, *, plot: bool = False, extension: str | None = None) -> Batch:
    """The jobs of a batch: every input file and its output below ``output_folder``.

    A folder gives every image file below it (by suffix, see
    :func:`image_suffixes`; not the output folder, nor temporary files),
    written at the same relative path below ``output_folder``; a file, or a
    file a glob pattern matches, is written under its own name there.
    Symbolic links to folders are followed, and each real folder is read once
    (see :func:`image_files`), in folders and ``**`` patterns alike: a link
    loop ends, a link to a folder already read adds nothing.

    Parameters
    ----------
    inputs : list of Path
        Files, folders or glob patterns (expanded here, ``**`` included).
    output_folder : Path
        The folder that receives the outputs.
    plot : bool, default False
        Each job also writes its figure, ``NAME.plot.png`` beside its output.
    extension : str, optional
        The outputs' suffix (``--format``'s), instead of each input's.

    Returns
    -------
    Batch
        The jobs in input order, each folder sorted. A pattern that matches
        nothing, an output that is an input and a second job for the same
        output (or, with ``plot``, a figure that is another job's output or
        figure) carry their ``error``. The folders' other files are its
        ``not_images``.
    """
    not_images: list[Path] = []
    jobs = [job for given in inputs for job in _jobs_of(given, output_folder, not_images)]
    if extension is not None:
        jobs = [job if job.output is None else Job(job.source, job.output.with_suffix(extension)) for job in jobs]
    return Batch(_refuse_conflicts(jobs, plot), not_images)


def plan_beside(inputs: list[Path], suffix: str, *, plot: bool = False, extension: str | None = None) -> Batch:
    """The jobs of ``--suffix``: every input file, and ``NAME<suffix>.EXT`` beside it.

    Inputs are found as :func:`plan_jobs` finds them. Files whose name (before
    its extension) ends with ``suffix``, or with ``suffix + ".plot"`` (their
    figures), are an earlier run's outputs: left out, so that a rerun neither
    processes them again nor writes ``NAME<suffix><suffix>.EXT``.

    Parameters
    ----------
    inputs : list of Path
        Files, folders or glob patterns.
    suffix : str
        What the outputs' names get before their extension, such as ``"-eq"``.
    plot : bool, default False
        Each job also writes its figure, ``NAME<suffix>.plot.png`` beside its output.
    extension : str, optional
        The outputs' suffix (``--format``'s), instead of each input's.

    Returns
    -------
    Batch
        As :func:`plan_jobs`; the inputs left out are its ``earlier_outputs``.
        An output that is any input file carries an error, never written over.
    """
    not_images: list[Path] = []
    jobs, earlier = [], []
    for job in (job for given in inputs for job in _jobs_of(given, None, not_images)):
        source = job.source
        if job.error is not None:  # a pattern that matched nothing
            jobs.append(job)
        elif source.stem.endswith(suffix) or source.stem.endswith(f"{suffix}.plot"):
            earlier.append(source)
        else:
            jobs.append(Job(source, source.with_name(f"{source.stem}{suffix}{extension or source.suffix}")))
    return Batch(_refuse_conflicts(jobs, plot), not_images, earlier, suffix)


def make_folders(jobs: list[Job]) -> None:
    """Create the output folders of the jobs that will run (the mirrored tree, or one file's folder).

    Parameters
    ----------
    jobs : list of Job
        The jobs; those with an ``error`` are left out.
    """
    outputs = [job.output for job in jobs if job.error is None and job.output not in (None, STREAM)]
    for folder in sorted({output.parent for output in outputs if output is not None}):
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
    except OSError:  # one of them does not exist (or is a link loop)
        return resolved(a) == resolved(b)


def resolved(path: Path) -> Path:
    """``path`` made absolute with its symbolic links resolved as far as they
    go; never an error (a link loop stays as it is)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop (Python < 3.13)
        return Path(os.path.abspath(path))


def _is_pattern(path: Path) -> bool:
    return not os.path.lexists(path) and _has_magic(str(path))


def _has_magic(text: str) -> bool:
    """Whether ``text`` holds a glob wildcard."""
    return any(char in text for char in "*?[")


def _jobs_of(given: Path, output_folder: Path | None, not_images: list[Path]) -> list[Job]:
    """The jobs of one input (``output_folder`` None: outputs still to name);
    the files of its folders that are not images go to ``not_images``."""
    if _is_pattern(given):
        matches = _expand(given)
        if not matches:
            return [Job(given, None, f"{str(given)!r}: no files match this pattern")]
        return [job for match in matches for job in _jobs_of(match, output_folder, not_images)]
    if given.is_dir():
        images = image_files(given, output_folder, not_images)
        if output_folder is None:
            return [Job(path, None) for path in images]
        return [Job(path, output_folder / path.relative_to(given)) for path in images]
    return [Job(given, None if output_folder is None else output_folder / given.name)]


@functools.lru_cache(maxsize=2)
def image_suffixes(*, common: bool = False) -> frozenset[str]:
    """The suffixes (lower case) of the files taken from input folders: every
    format histeq reads (:func:`histeq.io.read_suffixes`; ``common``: the
    subset known without importing all of Pillow's plugins)."""
    return read_suffixes(common=common)


def _is_image_name(name: str) -> bool:
    """Whether a file named ``name`` is taken as an image (by its suffix):
    the common suffixes are looked up first, so that a folder of JPEGs and
    PNGs does not import all of Pillow's plugins."""
    suffix = Path(name).suffix.lower()
    return suffix in image_suffixes(common=True) or suffix in image_suffixes()


def image_files(folder: Path, leave_out: Path | None = None, not_images: list[Path] | None = None) -> list[Path]:
    """Every image file below ``folder``, each real folder read once.

    Files are taken by suffix (:func:`image_suffixes`, any case), leaving out
    temporary files (``.histeq-*``). Symbolic links to folders are followed
    (see :func:`_folders`): a link loop ends, a link into the tree adds
    nothing, a link out of it adds the folder it points to, once. Links to
    files are taken as files (a broken one fails when it is read). Folders
    that cannot be listed are passed over.

    Parameters
    ----------
    folder : Path
        The folder to search.
    leave_out : Path, optional
        A folder not to search (the output folder).
    not_images : list of Path, optional
        Receives the other files (not temporary files, nor folders).

    Returns
    -------
    list of Path
        Below ``folder`` (through the links as found), each folder's files
        sorted by name before its subfolders' files.
    """
    left_out = _folder_key(leave_out)
    images = []
    for _, entries in _folders(folder, hidden=True, visited={left_out} if left_out else set()):
        for entry in entries:
            if entry.name.startswith(TEMPORARY_PREFIX) or _is_folder(entry):
                continue
            if _is_image_name(entry.name):
                images.append(Path(entry.path))
            elif not_images is not None:
                not_images.append(Path(entry.path))
    return images


def _folders(
    top: Path, *, hidden: bool, visited: set[tuple[int, int]] | None = None
) -> list[tuple[Path, list[os.DirEntry[str]]]]:
    """``top`` and every folder below it, each with its entries sorted by name.

    Depth first (a folder, then each subfolder's tree in name order), the
    real folders first, then those reached through symbolic links, in the
    order the links were met. Each real folder (device and inode) comes once:
    none of ``visited``, and none twice. Folders whose names begin with a dot
    only if ``hidden``.
    """
    visited = set() if visited is None else visited
    found: list[tuple[Path, list[os.DirEntry[str]]]] = []
    links: list[Path] = []

    def tree(start: Path) -> None:
        pending = [start]
        while pending:
            folder = pending.pop()
            entries = _entries(folder)
            found.append((folder, entries))
            subfolders = []
            for entry in entries:
                if (hidden or not entry.name.startswith(".")) and _is_folder(entry):
                    if entry.is_symlink():
                        links.append(Path(entry.path))
                    elif _first_visit(Path(entry.path), visited):
                        subfolders.append(Path(entry.path))
            pending.extend(reversed(subfolders))  # the first subfolder is read next

    key = _folder_key(top)
    if key is not None:
        visited.add(key)
    tree(top)
    while links:
        link = links.pop(0)
        if _first_visit(link, visited):
            tree(link)
    return found


def _first_visit(folder: Path, visited: set[tuple[int, int]]) -> bool:
    """Whether ``folder`` is a folder not in ``visited`` (then added)."""
    key = _folder_key(folder)
    if key is None or key in visited:
        return False
    visited.add(key)
    return True


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    """The entries of ``folder`` sorted by name; none if it cannot be listed (as os.walk)."""
    try:
        with os.scandir(folder) as scan:
            return sorted(scan, key=lambda entry: entry.name)
    except OSError:
        return []


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # through links
    except OSError:
        return False


def _folder_key(folder: Path | None) -> tuple[int, int] | None:
    """A folder's identity, ``(st_dev, st_ino)`` through links; None if it is none."""
    if folder is None:
        return None
    try:
        info = os.stat(folder)
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISDIR(info.st_mode) else None


def _expand(pattern: Path) -> list[Path]:
    """The paths a glob pattern matches, sorted; ``**`` (any folders below) is
    matched through :func:`_folders`, each real folder once, where Python's
    glob follows link loops to the system's limit on link depth, and two
    links in a loop make that exponential."""
    parts = pattern.parts
    if "**" not in parts:
        import glob  # only here: a run without patterns does not load it

        return sorted(Path(match) for match in glob.glob(str(pattern)))
    first = next(index for index, part in enumerate(parts) if _has_magic(part))
    base = Path(*parts[:first]) if first else Path()
    if not os.path.isdir(base):
        return []
    matches: set[Path] = set()
    _match(base, parts[first:], matches)
    return sorted(matches)


def _match(folder: Path, parts: tuple[str, ...], matches: set[Path]) -> None:
    """Add to ``matches`` the paths below ``folder`` that match ``parts``
    (glob's rules: names that begin with a dot only for patterns that do;
    ``**`` any folders below, through links, each real folder once)."""
    part, rest = parts[0], parts[1:]
    if part == "**":
        for below, _ in _folders(folder, hidden=False):
            if rest:
                _match(below, rest, matches)
            else:
                matches.update(_visible(below))
        return
    if not _has_magic(part):
        candidates = [folder / part] if os.path.lexists(folder / part) else []
    else:
        candidates = [path for path in _visible(folder, hidden=part.startswith(".")) if fnmatch(path.name, part)]
    for candidate in candidates:
        if not rest:
            matches.add(candidate)
        elif candidate.is_dir():
            _match(candidate, rest, matches)


def _visible(folder: Path, *, hidden: bool = False) -> list[Path]:
    """The entries of ``folder`` (those whose names begin with a dot only if ``hidden``)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [folder / name for name in names if hidden or not name.startswith(".")]


def _refuse_conflicts(jobs: list[Job], plot: bool = False) -> list[Job]:
    """Jobs that would write over their input or another job's input, or over
    a file an earlier job writes (its output, or with ``plot`` its figure),
    get an error."""
    sources = {resolved(job.source): job.source for job in jobs if job.error is None}
    first: dict[Path, Path] = {}
    checked = []
    for job in jobs:
        source, output = job.source, job.output
        if job.error is None and output is not None:
            written = {"output": output, "figure": plot_path(output)} if plot else {"output": output}
            taken = [(what, path) for what, path in written.items() if resolved(path) in first]
            inputs = [(what, path) for what, path in written.items() if resolved(path) in sources]
            if same_file(output, source):
                job = Job(source, output, f"{str(source)!r}: the output is the input file; write elsewhere")
            elif inputs:
                what, path = inputs[0]
                message = f"{str(source)!r}: its {what} {str(path)!r} is an input file; not written over"
                job = Job(source, output, message)
            elif taken:
                what, path = taken[0]
                other = first[resolved(path)]
                job = Job(source, output, f"{str(source)!r}: {what} {str(path)!r} is also written for {str(other)!r}")
            else:
                first.update((resolved(path), source) for path in written.values())
        checked.append(job)
    return checked
