"""The report's tables as display strings: summary, requirement and completeness rows.

Python prepares text and the template places it (see :mod:`pipelines.report.render`). Every
average in the summary is coverage_daily_summary's, taken over the same judged intervals
(requirement AND observed AND not in the future), so a row's on-queue, required and net
staffing describe the same stretch of the day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from pipelines.report.axis import Slot, local_label
from pipelines.report.data import Point
from pipelines.report.formatting import (
    NULL_MARK,
    SOURCE_LABELS,
    fmt,
    met_label,
    num,
    pct,
    signed,
    source_label,
)

__all__ = [
    "Cell",
    "CompletenessRow",
    "RequirementRow",
    "SummaryRow",
    "capacity_missing",
    "completeness",
    "requirement_rows",
    "summary_rows",
]


@dataclass(frozen=True)
class Cell:
    """A numeric table cell: what is shown, and the unrounded figure for tools and tests."""

    text: str
    value: str  # repr of the float, or "" for no figure


@dataclass(frozen=True)
class SummaryRow:
    rank: int
    scope_key: str
    name: str
    on_queue: Cell
    required: Cell
    net: Cell
    idle: Cell
    met: Cell
    met_label: str  # "3 of 4 judged intervals met"
    shortfall: Cell
    surplus: Cell
    worst: str
    worst_gap: Cell


@dataclass(frozen=True)
class RequirementRow:
    scope_key: str
    name: str
    sources: str  # readable names of the requirement sources used that day
    forecast: int  # intervals whose requirement is a forecast (still ahead)
    service_level: str
    occupancy: str
    scheduled: str
    capacity: str  # share of BUSY time with capacity data (lowest interval)


@dataclass(frozen=True)
class CompletenessRow:
    scope_key: str
    name: str
    observed: int
    intervals: int
    share: str


def _cell(display: str, value: Any) -> Cell:
    number = num(value)
    return Cell(text=display, value="" if number is None else repr(number))


def summary_rows(
    summary: pd.DataFrame, slots_by_start: dict[datetime, Slot], zone: ZoneInfo
) -> list[SummaryRow]:
    rows = []
    for rank, r in enumerate(summary.to_dict("records"), start=1):
        judged = num(r["intervals_judged"])
        met = NULL_MARK
        if judged:
            met = f"{int(num(r['intervals_met']) or 0)} of {int(judged)}"
        rows.append(
            SummaryRow(
                rank=rank,
                scope_key=str(r["scope_key"]),
                name=str(r["name"]),
                on_queue=_cell(fmt(r["avg_on_queue"], 1), r["avg_on_queue"]),
                required=_cell(fmt(r["avg_required"], 1), r["avg_required"]),
                net=_cell(signed(r["avg_net_staffing"], 1), r["avg_net_staffing"]),
                idle=_cell(fmt(r["avg_idle_available"], 1), r["avg_idle_available"]),
                met=_cell(met, r["share_met"]),
                met_label=met_label(r["intervals_met"], r["intervals_judged"]),
                shortfall=_cell(fmt(r["shortfall_agent_hours"], 2), r["shortfall_agent_hours"]),
                surplus=_cell(fmt(r["surplus_agent_hours"], 2), r["surplus_agent_hours"]),
                worst=local_label(
                    r["worst_interval_start"], r["worst_local_start"], slots_by_start, zone
                ),
                worst_gap=_cell(signed(r["worst_gap"], 1), r["worst_gap"]),
            )
        )
    return rows


def requirement_rows(summary: pd.DataFrame) -> list[RequirementRow]:
    rows = []
    for r in summary.to_dict("records"):
        listed = r["requirement_sources"]  # a numpy array from DuckDB's LIST
        codes = sorted((str(c) for c in (listed if listed is not None else [])), key=_precedence)
        sources = [source_label(code) for code in codes]
        capacity = num(r["min_busy_capacity_known"])
        rows.append(
            RequirementRow(
                scope_key=str(r["scope_key"]),
                name=str(r["name"]),
                sources=", ".join(dict.fromkeys(sources)) or "none",
                forecast=int(num(r["intervals_forecast"]) or 0),
                service_level=pct(r["avg_service_level_expected"]),
                occupancy=pct(r["avg_occupancy"]),
                scheduled=fmt(r["avg_scheduled"], 1),
                capacity=NULL_MARK if capacity is None else pct(capacity),
            )
        )
    return rows


def _precedence(code: str) -> tuple[int, str]:
    """Requirement sources in the order they win: targets first, profile forecast last."""
    order = list(SOURCE_LABELS)
    return (order.index(code) if code in order else len(order), code)


def capacity_missing(summary: pd.DataFrame) -> list[str]:
    """Names of the scopes where some BUSY time had no capacity data (counted as on-queue)."""
    return [
        str(r["name"])
        for r in summary.to_dict("records")
        if (known := num(r["min_busy_capacity_known"])) is not None and known < 1
    ]


def completeness(
    points: list[Point], order: list[str], names: dict[str, str], expected: int
) -> dict[str, Any]:
    """How much of the day the polls saw: a gap in polling looks exactly like a staffing gap.

    Intervals still ahead when coverage was built cannot have been observed yet: they are
    left out here and counted separately.
    """
    past = [p for p in points if not p.is_future]
    cells = len(past)
    observed = sum(1 for p in past if (p.observed_share or 0) > 0)
    mean_share = sum(p.observed_share or 0 for p in past) / cells if cells else 0.0
    per_scope = Counter(p.scope_key for p in past)
    seen = Counter(p.scope_key for p in past if (p.observed_share or 0) > 0)
    return {
        "cells": cells,
        "all_cells": len(points),
        "future_cells": len(points) - cells,
        "observed": observed,
        "observed_pct": fmt((observed / cells if cells else 0.0) * 100, 1),
        "mean_share_pct": fmt(mean_share * 100, 1),
        "expected_cells": expected * len(order),
        "completeness_rows": [
            CompletenessRow(
                scope_key=k,
                name=names[k],
                observed=seen[k],
                intervals=per_scope[k],
                share=pct(seen[k] / per_scope[k]) if per_scope[k] else NULL_MARK,
            )
            for k in order
        ],
    }
