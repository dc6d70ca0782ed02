"""The report as scopes grow: it takes no writer slot, and its HTML draws
at most MAX_SCOPES_IN_HTML scopes, worst shortfall first, leaving every scope in the CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from pipelines.defs.common import DUCKDB_POOL
from pipelines.defs.ingest.assets import availability_snapshots
from pipelines.defs.reports.assets import coverage_report
from pipelines.report.data import DayData, Point
from pipelines.report.writer import MAX_SCOPES_IN_HTML, shown_in_html

START = datetime(2024, 3, 12, 13, 0, tzinfo=UTC)


def _day(scopes: int, intervals: int = 4) -> DayData:
    keys = [f"skill:s{i:05d}" for i in range(scopes)]
    # load_summary ranks by shortfall, largest first: here s00000 is the worst.
    summary = pd.DataFrame({"scope_key": keys, "name": keys, "shortfall_agent_hours":
                            [float(scopes - i) for i in range(scopes)]})  # fmt: skip
    points = [
        Point(k, k, START + timedelta(minutes=15 * n), None, 3.0, 2.0, 2.0, -1.0, False, 1.0)
        for k in keys
        for n in range(intervals)
    ]
    return DayData(summary=summary, points=points, export=[(k,) for k in keys])


def test_the_report_takes_no_writer_slot_but_the_poll_does() -> None:
    assert coverage_report.op.pool is None
    assert availability_snapshots.op.pool == DUCKDB_POOL


def test_html_draws_a_bounded_number_of_scopes_worst_first() -> None:
    few = _day(MAX_SCOPES_IN_HTML)
    summary, points, left_out = shown_in_html(few)
    assert left_out == 0 and len(summary) == MAX_SCOPES_IN_HTML and points == few.points
    for scopes in (400, 1500):
        day = _day(scopes)
        summary, points, left_out = shown_in_html(day)
        assert left_out == scopes - MAX_SCOPES_IN_HTML
        assert list(summary["scope_key"]) == list(day.summary["scope_key"][:MAX_SCOPES_IN_HTML])
        assert {p.scope_key for p in points} == set(summary["scope_key"])
        assert len(points) == MAX_SCOPES_IN_HTML * 4
        assert len(day.export) == scopes  # the CSV keeps every scope
