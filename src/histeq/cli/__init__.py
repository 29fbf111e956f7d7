"""The ``histeq`` command: equalize, CLAHE or match image files, compare methods in a figure, or run the demo.

One module per job: :mod:`.parser` (the options), :mod:`.commands` (what
each subcommand does to one file), :mod:`.jobs` (inputs -> files to
process), :mod:`.runner` (running them, in worker processes too) and
:mod:`.report` (progress, summary, JSON). The library never imports this
package.
"""

from __future__ import annotations

import functools
import os
import sys

__all__ = ["main", "run"]


def run() -> None:
    """The ``histeq`` program: :func:`main`, then the process ends with its
    exit status without the interpreter's teardown.

    Everything a run writes is closed and synced by then (outputs are
    renamed into place only once written whole), so what finalization would
    still do is free memory and modules, which takes a one-file run 10-20 ms
    once numpy is loaded, a tenth of its time. Standard output and error are
    flushed first; a flush that fails (a closed pipe) ends the process with
    status 120, as the interpreter's own exit would. Ctrl-C that comes
    before the command handles it, or again while it ends after one, ends
    it with status 130, quietly. A run that started
    worker processes (``--workers N``, Dask's processes) exits the usual way:
    multiprocessing releases their semaphores at exit (its resource tracker,
    started with them, would otherwise report them leaked); multiprocessing
    alone is no sign of them (a tqdm progress bar loads its locks).

    numpy's OpenBLAS gets one thread (``OPENBLAS_NUM_THREADS=1`` unless set):
    histeq calls no BLAS, and the threads OpenBLAS starts at ``import numpy``
    spin on the other cores, 0.07 - 0.1 s of CPU in every process (a third
    of a one-file run's CPU time). It takes effect because nothing numpy is
    imported before this point (``import histeq`` imports no numpy).
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        status = main()
    except KeyboardInterrupt as exc:  # before main handles interrupts, or again while it ends after one
        from .runner import interrupted_status

        status = interrupted_status(exc)
    if "multiprocessing.resource_tracker" in sys.modules:
        sys.exit(status)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 120
    os._exit(status)


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program's name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit status: 0 ok, 1 an error (any file failed), 2 a usage
        error (a bad option or combination, found before any file is read or
        written; argparse exits with it, printing the command's usage line;
        or a bad ``HISTEQ_BACKEND`` or ``HISTEQ_NUM_THREADS``), 130
        interrupted (Ctrl-C), 143 terminated (SIGTERM).
    """
    try:
        from histeq.backends import small  # noqa: F401  (checks the environment's settings as it loads)
    except ValueError as exc:
        print(f"histeq: error: {exc}", file=sys.stderr)
        return 2
    from .checks import check_options
    from .parser import build_parser, command_parser

    given = _suffix_joined(sys.argv[1:] if argv is None else argv)
    parser = build_parser(given[0] if given else None)  # a run builds its own command's options alone
    args, unknown = parser.parse_known_args(given)  # --help, --version and bad values end here
    usage = command_parser(parser, args.command)
    if unknown:  # with the command's usage line, not histeq's
        usage.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "video":  # one stream of frames, in order: its own runner
        from .video import run

        return run(args)
    if args.command in ("equalize", "clahe"):  # Zarr stores (and TIFFs into them): lazily, block by block
        from .jobs import wants_zarr

        if wants_zarr(args):
            from .zarr_jobs import run as run_zarr

            return run_zarr(args, usage)
    try:
        check_options(args)  # every option, before any file is read or written
    except ValueError as exc:
        usage.error(str(exc))
    from .commands import compare, demo, process_file
    from .report import error_text
    from .runner import report_interrupt, run_command, terminate_as_interrupt

    try:
        with terminate_as_interrupt():
            if args.command == "demo":
                demo(args)
            elif args.command == "compare":
                compare(args)
            else:
                return run_command(args, functools.partial(process_file, args))
    except (OSError, ValueError, TypeError) as exc:
        print(f"histeq: error: {error_text(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # outputs are written whole or not at all
        return report_interrupt(exc)
    return 0


def _suffix_joined(argv: list[str]) -> list[str]:
    """``--suffix -eq`` as ``--suffix=-eq``: argparse takes a value that
    begins with ``-`` for an option, and such suffixes are the usual ones."""
    joined: list[str] = []
    index = 0
    while index < len(argv):
        if argv[index] == "--":
            return joined + argv[index:]
        if argv[index] == "--suffix" and index + 1 < len(argv):
            joined.append(f"--suffix={argv[index + 1]}")
            index += 2
            continue
        joined.append(argv[index])
        index += 1
    return joined
