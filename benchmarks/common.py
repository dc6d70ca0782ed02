"""Shared plumbing: each benchmark prints one JSON line of figures that run_all.py tabulates."""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

RESULT_PREFIX = "BENCH-RESULT "


@dataclass
class Figure:
    """One row of the table: a measured value against a baseline measured in the same run."""

    benchmark: str
    figure: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline


def emit(figures: list[Figure], extra: dict[str, Any] | None = None) -> None:
    """Print the figures for run_all.py (and readable lines for a person running one script)."""
    for f in figures:
        ratio = f" ratio {f.ratio:.2f}" if f.ratio is not None else ""
        verdict = "" if f.met is None else (" MET" if f.met else " MISSED")
        print(f"  {f.figure}: {f.value:,.3f} {f.unit}{ratio} {f.target}{verdict}", flush=True)
    payload = {"figures": [{**asdict(f), "ratio": f.ratio} for f in figures], **(extra or {})}
    print(RESULT_PREFIX + json.dumps(payload), flush=True)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    done: list[float] = []
    yield lambda: done[0] if done else time.perf_counter() - started
    done.append(time.perf_counter() - started)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
