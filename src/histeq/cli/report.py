"""What a run tells: the progress bar, failures as they happen, the summary line and the JSON report."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any, TextIO

from .jobs import STATUSES, STREAM, Outcome


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
        """Count one outcome, report a failure on a line of its own and redraw.

        Parameters
        ----------
        outcome : Outcome
            What happened to one file.
        """
        self.counts[outcome.status] += 1
        if outcome.status == "failed":
            self.bar.write(f"histeq: error: {outcome.error}", file=self.stream)
        self.bar.set_postfix_str(self.tally(), refresh=False)
        self.bar.update()

    def close(self) -> None:
        """End the progress bar."""
        self.bar.close()

    def tally(self) -> str:
        """How many files were done, skipped and failed so far.

        Returns
        -------
        str
            ``"1 done, 0 skipped, 1 failed"``.
        """
        return ", ".join(f"{self.counts[status]} {status}" for status in STATUSES)


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


def print_report(args: argparse.Namespace, outcomes: list[Outcome], seconds: float, *, batch: bool) -> None:
    """Tell how the run went: the JSON report, a batch's summary line, or one file's line.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: ``command``, ``input``, ``output``, ``json``.
    outcomes : list of Outcome
        One per file, in input order.
    seconds : float
        How long the run took.
    batch : bool
        Whether ``args`` name a batch (else one file, one outcome).
    """
    if args.json:
        print(json.dumps(json_report(args, outcomes, seconds), indent=2))
    elif batch:
        print(summary(args.command, outcomes, seconds))
    elif outcomes[0].status == "done":  # on stderr when the image goes to standard output
        stream = sys.stderr if args.output == STREAM else sys.stdout
        print(f"{args.input[0]} -> {args.output} ({describe(args)})", file=stream)


def summary(command: str, outcomes: list[Outcome], seconds: float) -> str:
    """One line: how many files were done, skipped and failed, and how long it took.

    Parameters
    ----------
    command : str
        The command's name.
    outcomes : list of Outcome
        One per file.
    seconds : float
        How long the run took.

    Returns
    -------
    str
        ``"histeq equalize: 3 done, 0 skipped, 1 failed (4 files) in 0.8 s"``.
    """
    counts = totals(outcomes)
    return (
        f"histeq {command}: {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed "
        f"({len(outcomes)} files) in {seconds:.1f} s"
    )


def json_report(args: argparse.Namespace, outcomes: list[Outcome], seconds: float) -> dict[str, Any]:
    """The report of ``--json``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: ``command``, ``input``, ``output``.
    outcomes : list of Outcome
        One per file.
    seconds : float
        How long the run took.

    Returns
    -------
    dict
        ``command``, ``inputs``, ``output``, ``files`` (``input``,
        ``output``, ``status``, ``error``: a message or None), ``totals``
        and ``seconds``.
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
    return {
        "command": args.command,
        "inputs": [str(given) for given in args.input],
        "output": str(args.output),
        "files": files,
        "totals": {**totals(outcomes), "files": len(outcomes)},
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
