"""Plausible ranges for the numbers in the targets and forecast files, checked as they are read.

A finite number is not enough: a forecast row of 1e12 contacts once kept the Erlang search (and
the DuckDB writer) busy for minutes, and a target of 1e308 agents was stored and later broke the
report's charts. Every number is therefore held to a range that no real contact centre leaves,
with the reason written next to it, before any SQL runs; the error names the file, line and
column (:func:`pipelines.coverage.requirements_files.cell_error`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipelines.coverage.erlang import MAX_SERVERS

__all__ = ["RANGES", "Range", "range_problem"]


@dataclass(frozen=True)
class Range:
    """Closed bounds unless ``*_open``; ``why`` goes into the error so the fix is obvious."""

    low: float
    high: float
    why: str
    low_open: bool = False
    high_open: bool = False

    def holds(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return math.isfinite(value) and above and below

    def wording(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"in {left}{self.low:g}, {self.high:g}{right} ({self.why})"


RANGES: dict[str, Range] = {
    # A million contacts in one row's interval is over a thousand a second for 15 minutes:
    # no single queue or skill sees that, and it keeps the traffic Erlang C can size bounded.
    "contacts": Range(0, 1e6, "contacts in the row's interval"),
    # One second to one day per contact: below is a unit mistake (minutes typed as hours ...).
    "aht_seconds": Range(1, 86_400, "seconds per contact, at most one day"),
    "target_seconds": Range(0, 86_400, "seconds, at most one day"),
    # The same bound as the Erlang search: no interval is sized beyond it either.
    "required_agents": Range(0, MAX_SERVERS, "agents in one interval"),
    "scheduled_agents": Range(0, MAX_SERVERS, "agents in one interval"),
    "service_level": Range(0, 1, "e.g. 0.8 or 80%", low_open=True, high_open=True),
    # 95% shrinkage multiplies the head-count by 20; beyond that it is a typo (95 for 9.5%).
    "shrinkage": Range(0, 0.95, "e.g. 0.3 or 30%"),
    # Below 10% the cap, not the service level, would decide the head-count ten times over.
    "max_occupancy": Range(0.1, 1, "e.g. 0.85 or 85%"),
}


def range_problem(column: str, value: float) -> str | None:
    """None when ``value`` is plausible for ``column``, else the rule it breaks."""
    rule = RANGES[column]
    if rule.holds(value):
        return None
    return rule.wording()
