"""The ``histeq`` command: equalize, CLAHE or match image files, compare methods in a figure, or run the demo.

One module per job: :mod:`.parser` (the options), :mod:`.commands` (what
each subcommand does to one file), :mod:`.jobs` (inputs -> files to
process), :mod:`.runner` (running them, in worker processes too) and
:mod:`.report` (progress, summary, JSON). The library never imports this
package.
"""

from __future__ import annotations

import functools
import sys

__all__ = ["main"]


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
        error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
    """
    from .parser import build_parser, check_color, check_streams

    args = build_parser().parse_args(argv)  # --help, --version and usage errors end here
    if args.command == "video":  # one stream of frames, in order: its own runner
        from .video import run

        return run(args)
    from .commands import compare, demo, process_file
    from .runner import INTERRUPTED, TERMINATED, Terminated, run_command, terminate_as_interrupt

    try:
        with terminate_as_interrupt():
            if args.command == "demo":
                demo(args)
            elif args.command == "compare":
                compare(args)
            else:
                check_streams(args)
                check_color(args)
                return run_command(args, functools.partial(process_file, args))
    except (OSError, ValueError, TypeError) as exc:
        print(f"histeq: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # outputs are written whole or not at all
        terminated = isinstance(exc, Terminated)
        print(f"histeq: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        return TERMINATED if terminated else INTERRUPTED
    return 0
