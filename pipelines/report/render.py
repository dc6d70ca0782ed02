"""The report's HTML: figures prepared here, markup in ``templates/report.html.j2``.

The page is self-contained because it gets mailed, attached to tickets and opened from file
shares on machines without network access: anything fetched from a URL would quietly go
missing. So the stylesheet (``templates/style.css``) is included inline and the charts are
PNG data URIs.

Python never builds markup: it prepares display strings and the template places them.
Autoescaping is on for every value, so a scope name such as ``<Sales & Co>`` cannot become
markup. The templates are read through the package (``PackageLoader``), so they load from an
installed wheel as well as from a checkout.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import pandas as pd

from pipelines.report import charts
from pipelines.report.axis import Slot, build_axis, local_label
from pipelines.report.data import Point
from pipelines.report.formatting import NULL_MARK, fmt, num, pct

__all__ = ["render_html"]


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
    available: Cell
    required: Cell
    met: Cell
    shortfall: Cell
    worst: str
    worst_gap: Cell


@dataclass(frozen=True)
class ScopeChart:
    scope_key: str
    name: str
    chart: str  # PNG data URI


@dataclass(frozen=True)
class CompletenessRow:
    scope_key: str
    name: str
    observed: int
    intervals: int
    share: str


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pipelines.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(
    *,
    day: date,
    zone: ZoneInfo,
    time_zone: str,
    interval_minutes: int,
    expected: int,
    title: str,
    generated: datetime,
    summary: pd.DataFrame,
    points: list[Point],
) -> str:
    """The whole page for one day; ``expected`` is the intervals a full day has per scope."""
    context: dict[str, Any] = {
        "heading": f"{title} \u2014 {day.isoformat()} ({day.strftime('%A')})",
        "day": day.isoformat(),
        "time_zone": time_zone,
        "interval_minutes": interval_minutes,
        "generated": generated.strftime("%Y-%m-%d %H:%M:%S"),
        "expected": expected,
        "no_data": summary.empty and not points,
    }
    if not context["no_data"]:
        context.update(_day_context(summary, points, zone, interval_minutes, time_zone, expected))
    return _environment().get_template("report.html.j2").render(context)


def _day_context(
    summary: pd.DataFrame,
    points: list[Point],
    zone: ZoneInfo,
    interval_minutes: int,
    time_zone: str,
    expected: int,
) -> dict[str, Any]:
    slots = build_axis(points, zone)
    by_scope: dict[str, dict[datetime, Point]] = {}
    names: dict[str, str] = {}
    for p in points:
        by_scope.setdefault(p.scope_key, {})[p.interval_start] = p
        names.setdefault(p.scope_key, p.name)
    ranked = [str(k) for k in summary["scope_key"]]
    for key, name in zip(summary["scope_key"], summary["name"], strict=True):
        names[str(key)] = str(name)
    order = ranked + sorted(k for k in by_scope if k not in set(ranked))

    ranking = None
    if not summary.empty:
        ranking = charts.ranking_chart(
            [names[k] for k in ranked],
            [num(v) for v in summary["shortfall_agent_hours"]],
            [bool(num(v)) for v in summary["intervals_with_requirement"]],
        )
    scope_charts = [
        ScopeChart(
            scope_key=key,
            name=names[key],
            chart=charts.scope_chart(
                names[key], slots, by_scope.get(key, {}), interval_minutes, time_zone
            ),
        )
        for key in (order if slots else [])
    ]
    heatmap = None
    if slots:
        heatmap = charts.heatmap_chart(
            [names[k] for k in order], order, slots, by_scope, interval_minutes, time_zone
        )
    return {
        "summary_rows": _summary_rows(summary, {s.start: s for s in slots}, zone),
        "ranking_chart": ranking,
        "has_slots": bool(slots),
        "repeated_hour": any(s.tick.endswith("*") for s in slots),
        "scope_charts": scope_charts,
        "heatmap_chart": heatmap,
        **_completeness(points, order, names, expected),
    }


def _cell(display: str, value: Any) -> Cell:
    number = num(value)
    return Cell(text=display, value="" if number is None else repr(number))


def _summary_rows(
    summary: pd.DataFrame, slots_by_start: dict[datetime, Slot], zone: ZoneInfo
) -> list[SummaryRow]:
    rows = []
    for rank, r in enumerate(summary.to_dict("records"), start=1):
        met = pct(r["share_met"])
        with_requirement = num(r["intervals_with_requirement"])
        if num(r["share_met"]) is not None and with_requirement:
            met += f" ({int(num(r['intervals_met']) or 0)}/{int(with_requirement)})"
        rows.append(
            SummaryRow(
                rank=rank,
                scope_key=str(r["scope_key"]),
                name=str(r["name"]),
                available=_cell(fmt(r["avg_available"], 1), r["avg_available"]),
                required=_cell(fmt(r["avg_required"], 1), r["avg_required"]),
                met=_cell(met, r["share_met"]),
                shortfall=_cell(fmt(r["shortfall_agent_hours"], 2), r["shortfall_agent_hours"]),
                worst=local_label(
                    r["worst_interval_start"], r["worst_local_start"], slots_by_start, zone
                ),
                worst_gap=_cell(fmt(r["worst_gap"], 1), r["worst_gap"]),
            )
        )
    return rows


def _completeness(
    points: list[Point], order: list[str], names: dict[str, str], expected: int
) -> dict[str, Any]:
    """How much of the day the polls saw: a gap in polling looks exactly like a staffing gap."""
    cells = len(points)
    observed = sum(1 for p in points if (p.observed_share or 0) > 0)
    mean_share = sum(p.observed_share or 0 for p in points) / cells if cells else 0.0
    per_scope = Counter(p.scope_key for p in points)
    seen = Counter(p.scope_key for p in points if (p.observed_share or 0) > 0)
    return {
        "cells": cells,
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
