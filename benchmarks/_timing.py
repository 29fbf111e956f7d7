"""Interleaved timing shared by the benchmarks: every repetition runs each
contender once, in a rotating order, so machine noise hits them alike."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved(contenders: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds per call of each contender, after one warm-up call each
    (numba compiles, caches fill)."""
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for name in names:
        contenders[name]()
    for r in range(repeat):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}
