"""What a run tells: the progress bar, failures as they happen, the summary line and the JSON report."""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from .jobs import STATUSES, STREAM, Batch, Outcome

#: The Python API's words in the library's messages, and the command line's for them.
_API_WORDS = (
    ("pass overwrite=True", "use --force"),
    ("(max_pixels)", "(--max-pixels)"),
    ("clip_limit", "--clip-limit"),
    ("tile_grid", "--tile-grid"),
    ("kernel_size", "--kernel-size"),
    ("nbins", "--nbins"),
)


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
        self.stream = stream if stream is not None else sys.stderr
        self.counts: Counter[str] = Counter()
        self.bar = None
        if enabled:  # tqdm is imported only to draw (a tenth of a second of a one-file run)
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=self.stream, unit="file", dynamic_ncols=True)

    def update(self, outcome: Outcome) -> None:
        """Count one outcome, report a failure on a line of its own and redraw.

        Parameters
        ----------
        outcome : Outcome
            What happened to one file.
        """
        self.counts[outcome.status] += 1
        if self.bar is None:
            if outcome.status == "failed":
                print(f"histeq: error: {outcome.error}", file=self.stream)
            return
        if outcome.status == "failed":
            self.bar.write(f"histeq: error: {outcome.error}", file=self.stream)
        self.bar.set_postfix_str(self.tally(), refresh=False)
        self.bar.update()

    def close(self) -> None:
        """End the progress bar."""
        if self.bar is not None:
            self.bar.close()

    def tally(self) -> str:
        """How many files were done, skipped and failed so far.

        Returns
        -------
        str
            ``"1 done, 0 skipped, 1 failed"``.
        """
        return ", ".join(f"{self.counts[status]} {status}" for status in STATUSES)


def error_text(exc: BaseException) -> str:
    """An error's message in the command line's words: the parameters of
    the Python API the library's messages name become the options that set
    them (``overwrite=True`` -> ``--force``, ``tile_grid`` -> ``--tile-grid``).

    Parameters
    ----------
    exc : BaseException
        An error raised while the command ran.

    Returns
    -------
    str
        Its message, translated.
    """
    text = str(exc)
    for python, option in _API_WORDS:
        text = re.sub(rf"(?<![\w-]){re.escape(python)}(?!\w)", option, text)
    return text


def describe(args: argparse.Namespace) -> str:
    """The command and its method, as reports name them.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: ``command``, and ``method`` if it has one.

    Returns
    -------
    str
        ``"equalize, opencv"``, or the command alone (``"exact"``).
    """
    method = getattr(args, "method", None)
    return args.command if method is None else f"{args.command}, {method}"


def print_report(args: argparse.Namespace, outcomes: list[Outcome], seconds: float, *, batch: Batch | None) -> None:
    """Tell how the run went: the JSON report, a batch's summary line, or one file's line.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: ``command``, ``input``, ``output``, ``json``.
    outcomes : list of Outcome
        One per file, in input order.
    seconds : float
        How long the run took.
    batch : Batch or None
        The batch ``args`` name (its files passed over too); None for one file, one outcome.
    """
    if args.json:
        import json  # only here: a run without --json does not load it

        print(json.dumps(json_report(args, outcomes, seconds, batch), indent=2))
    elif batch is not None:
        print(summary(args.command, outcomes, seconds, batch))
    elif outcomes[0].status == "done":  # on stderr when the image goes to standard output
        stream = sys.stderr if args.output == STREAM else sys.stdout
        print(f"{args.input[0]} -> {args.output} ({describe(args)})", file=stream)


def summary(command: str, outcomes: list[Outcome], seconds: float, batch: Batch | None = None) -> str:
    """One line: how many files were done, skipped and failed, how long it
    took, and the files of the input folders passed over.

    Parameters
    ----------
    command : str
        The command's name.
    outcomes : list of Outcome
        One per file.
    seconds : float
        How long the run took.
    batch : Batch, optional
        The batch, with the files it passed over.

    Returns
    -------
    str
        ``"histeq equalize: 3 done, 0 skipped, 1 failed (4 files) in 0.8 s"``,
        then ``"; 3 skipped: not images"`` and
        ``"; 2 skipped: outputs of --suffix -eq"`` where there were such files.
    """
    counts = totals(outcomes)
    line = (
        f"histeq {command}: {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed "
        f"({len(outcomes)} files) in {seconds:.1f} s"
    )
    if batch is not None and batch.not_images:
        line += f"; {len(batch.not_images)} skipped: not images"
    if batch is not None and batch.earlier_outputs:
        line += f"; {len(batch.earlier_outputs)} skipped: outputs of --suffix {batch.suffix}"
    return line


def json_report(
    args: argparse.Namespace, outcomes: list[Outcome], seconds: float, batch: Batch | None = None
) -> dict[str, Any]:
    """The report of ``--json``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: ``command``, ``input``, ``output``, ``suffix``.
    outcomes : list of Outcome
        One per file.
    seconds : float
        How long the run took.
    batch : Batch, optional
        The batch, with the files it passed over.

    Returns
    -------
    dict
        ``command``, ``inputs``, ``output`` (None with ``--suffix``),
        ``suffix``, ``files`` (``input``, ``output``, ``status``, ``error``:
        a message or None), ``totals``, ``not_images`` and
        ``earlier_outputs`` (the files of input folders passed over: not
        images by suffix, outputs of ``--suffix``) and ``seconds``.
    """
    files = [
        {
            "input": str(outcome.job.source),
            "output": None if outcome.job.output is None else str(outcome.job.output),
            "status": outcome.status,
            "error": outcome.error,
        }
        for outcome in outcomes
    ]
    passed_over: dict[str, list[Path]] = {"not_images": [], "earlier_outputs": []}
    if batch is not None:
        passed_over = {"not_images": batch.not_images, "earlier_outputs": batch.earlier_outputs}
    return {
        "command": args.command,
        "inputs": [str(given) for given in args.input],
        "output": None if args.output is None else str(args.output),
        "suffix": args.suffix,
        "files": files,
        "totals": {**totals(outcomes), "files": len(outcomes)},
        **{name: [str(path) for path in paths] for name, paths in passed_over.items()},
        "seconds": round(seconds, 3),
    }


def totals(outcomes: list[Outcome]) -> dict[str, int]:
    """How many outcomes have each status.

    Parameters
    ----------
    outcomes : list of Outcome
        One per file.

    Returns
    -------
    dict
        Each of :data:`~histeq.cli.jobs.STATUSES` -> its count, in that order.
    """
    counts = Counter(outcome.status for outcome in outcomes)
    return {status: counts[status] for status in STATUSES}
