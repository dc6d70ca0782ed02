"""Shared plumbing: repetition, interleaving, statistics, and the JSON line run_all.py tabulates.

A single timing on a shared machine says more about the machine's load than about the code
(one-day rebuild vs pandas read 7.8x, 2.8x and 5.6x in three runs of one afternoon). So every
figure is measured several times, subject and baseline alternate (ABAB..., never AAA then BBB)
so a drift in load hits both alike, a ratio is computed per pair (subject and baseline of the
same round), and what is reported is the median with its spread. Benchmarks never assert on
time: targets are printed, not enforced.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

RESULT_PREFIX = "BENCH-RESULT "
DEFAULT_REPEAT = 5
MIN_REPEAT = 3

T = TypeVar("T")


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """--repeat and --quick, taken by run_all.py and passed on to every benchmark."""
    parser.add_argument(
        "--repeat",
        type=repeat_count,
        default=DEFAULT_REPEAT,
        help=f"rounds per figure (at least {MIN_REPEAT}, default {DEFAULT_REPEAT})",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: proves the harness runs, not speed"
    )


def add_arguments(
    parser: argparse.ArgumentParser,
    full: Mapping[str, Any] | None = None,
    quick: Mapping[str, Any] | None = None,
) -> None:
    """The options every benchmark takes: rounds, --quick, and one option per size.

    ``full`` holds the sizes of a real run, ``quick`` the small ones of a smoke test (same
    keys); ``--some-size`` given on the command line overrides either.
    """
    add_run_arguments(parser)
    for name, default in (full or {}).items():
        many = isinstance(default, list)
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=type(default[0]) if many else type(default),
            nargs="*" if many else None,
            default=None,
            help=f"default {default} (--quick: {(quick or {})[name]})",
        )


def chosen_sizes(
    args: argparse.Namespace, full: Mapping[str, Any], quick: Mapping[str, Any]
) -> dict[str, Any]:
    """The sizes this run uses: the command line's, else quick or full ones."""
    base = quick if args.quick else full
    return {k: base[k] if getattr(args, k) is None else getattr(args, k) for k in full}


def repeat_count(text: str) -> int:
    """argparse type for --repeat: a median and a spread need at least three rounds."""
    value = int(text)
    if value < MIN_REPEAT:
        raise argparse.ArgumentTypeError(f"--repeat must be at least {MIN_REPEAT}, got {value}")
    return value


def interleave(measures: Mapping[str, Callable[[], T]], repeat: int) -> dict[str, list[T]]:
    """Run each measure once per round, in the given order, for ``repeat`` rounds.

    With ``{"subject": a, "baseline": b}`` the calls go a, b, a, b, ...: the i-th results of
    every measure come from the same round and form a pair. Returns each measure's results in
    round order.
    """
    results: dict[str, list[T]] = {name: [] for name in measures}
    for round_no in range(repeat):
        for name, measure in measures.items():
            results[name].append(measure())
            say(f"  round {round_no + 1}/{repeat}: {name} done")
    return results


@dataclass(frozen=True)
class Spread:
    """Median and spread of a handful of samples: min-max and the interquartile range."""

    n: int
    median: float
    low: float
    high: float
    q1: float
    q3: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Spread:
        if not samples:
            raise ValueError("no samples")
        ordered = sorted(samples)
        if len(ordered) == 1:
            q1 = q3 = ordered[0]
        else:
            q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
        return cls(
            n=len(ordered),
            median=statistics.median(ordered),
            low=ordered[0],
            high=ordered[-1],
            q1=q1,
            q3=q3,
        )


def pair_ratios(values: Sequence[float], baselines: Sequence[float]) -> list[float]:
    """value / baseline for each round's pair (the ratio of medians is not a ratio's median)."""
    if len(values) != len(baselines):
        raise ValueError(f"{len(values)} values but {len(baselines)} baselines: not paired")
    return [v / b for v, b in zip(values, baselines, strict=True)]


@dataclass
class Figure:
    """One row of the table: repeated samples, and the baseline samples paired with them.

    ``baselines[i]`` was measured in the same round as ``values[i]``. ``met`` is the
    benchmark's reading of its target, on the medians unless the target names another
    reading (informational, never an assertion).
    """

    benchmark: str
    figure: str
    values: list[float]
    unit: str
    baselines: list[float] | None = None
    baseline_label: str = ""
    target: str = ""
    met: bool | None = None

    @property
    def value(self) -> Spread:
        return Spread.of(self.values)

    @property
    def baseline(self) -> Spread | None:
        return Spread.of(self.baselines) if self.baselines else None

    @property
    def ratios(self) -> list[float] | None:
        if not self.baselines or any(b == 0 for b in self.baselines):
            return None
        return pair_ratios(self.values, self.baselines)

    @property
    def ratio(self) -> Spread | None:
        ratios = self.ratios
        return Spread.of(ratios) if ratios else None

    def as_json(self) -> dict[str, Any]:
        """Raw samples and their summaries, as run_all.py reads and stores them."""
        spreads = {"value": self.value, "baseline": self.baseline, "ratio": self.ratio}
        return {
            **asdict(self),
            "ratios": self.ratios,
            **{k: asdict(s) if s else None for k, s in spreads.items()},
        }


def fmt(value: float, unit: str = "") -> str:
    """About three significant figures; k/M/G suffixes from 10,000 up (rows/s)."""
    size = abs(value)
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
        if size >= scale:
            scaled = value / (1e3 if suffix == "k" else scale)
            digits = 0 if abs(scaled) >= 100 else 1 if abs(scaled) >= 10 else 2
            return f"{scaled:.{digits}f}{suffix} {unit}".strip()
    text = f"{value:,.0f}" if size >= 100 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def fmt_spread(spread: Spread | None, unit: str = "") -> str:
    """'median [min-max]', the form every cell of the table takes."""
    if spread is None:
        return "—"
    return f"{fmt(spread.median, unit)} [{fmt(spread.low)}–{fmt(spread.high)}]"


def emit(figures: list[Figure], extra: dict[str, Any] | None = None) -> None:
    """Print the figures for run_all.py (and readable lines for a person running one script)."""
    for f in figures:
        ratio = f" ratio {fmt_spread(f.ratio)}" if f.ratio else ""
        verdict = "" if f.met is None else (" MET" if f.met else " MISSED")
        print(f"  {f.figure}: {fmt_spread(f.value, f.unit)}{ratio} {f.target}{verdict}")
    payload = {"figures": [f.as_json() for f in figures], **(extra or {})}
    print(RESULT_PREFIX + json.dumps(payload), flush=True)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
