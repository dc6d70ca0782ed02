"""The report's HTML: figures prepared here and in ``tables``, markup in ``templates/``.

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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import pandas as pd

from pipelines.alerts.report import AlertLine
from pipelines.report import charts, tables
from pipelines.report.axis import build_axis
from pipelines.report.data import Point
from pipelines.report.finalization import finalization_context
from pipelines.report.formatting import num, pct

__all__ = ["render_html"]


@dataclass(frozen=True)
class ScopeChart:
    scope_key: str
    name: str
    chart: str  # PNG data URI
    met_label: str  # "3 of 4 judged intervals met", or "" without a summary row


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
    alerts: Sequence[AlertLine] = (),
    finalization: dict[str, Any] | None = None,
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
        "alerts": list(alerts),  # the day's shortfall alerts (templates/alerts.html.j2)
        **(finalization or finalization_context(None, None)),
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
    summary_rows = tables.summary_rows(summary, {s.start: s for s in slots}, zone)
    met_labels = {row.scope_key: row.met_label for row in summary_rows}

    ranking = None
    if not summary.empty:
        ranking = charts.ranking_chart(
            [names[k] for k in ranked],
            [num(v) for v in summary["shortfall_agent_hours"]],
            [num(v) for v in summary["surplus_agent_hours"]],
            [bool(num(v)) for v in summary["intervals_with_requirement"]],
        )
    scope_charts = [
        ScopeChart(
            scope_key=key,
            name=names[key],
            chart=charts.net_staffing_chart(
                names[key], slots, by_scope.get(key, {}), interval_minutes, time_zone
            ),
            met_label=met_labels.get(key, ""),
        )
        for key in (order if slots else [])
    ]
    heatmap = None
    if slots:
        heatmap = charts.heatmap_chart(
            [names[k] for k in order], order, slots, by_scope, interval_minutes, time_zone
        )
    future = sum(1 for p in points if p.is_future)
    # Days built before net staffing keep NULL in its columns until rebuilt (migration 008).
    built_before = any(p.available is not None for p in points) and all(
        p.on_queue is None for p in points
    )
    return {
        "built_before_net_staffing": built_before,
        "summary_rows": summary_rows,
        "requirement_rows": tables.requirement_rows(summary) if not summary.empty else [],
        "capacity_missing": tables.capacity_missing(summary) if not summary.empty else [],
        "capacity_lowest": pct(summary["min_busy_capacity_known"].min())
        if not summary.empty
        else "",
        "forecast_intervals": future,
        "ranking_chart": ranking,
        "has_slots": bool(slots),
        "repeated_hour": any(s.tick.endswith("*") for s in slots),
        "scope_charts": scope_charts,
        "heatmap_chart": heatmap,
        **tables.completeness(points, order, names, expected),
    }
