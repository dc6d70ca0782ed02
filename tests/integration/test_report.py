"""The daily report writer against a real DuckDB file filled with small hand-built data."""

from __future__ import annotations

import csv
import math
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest

from pipelines import report
from pipelines.coverage import (
    CoverageSettings,
    build_coverage,
    build_coverage_vs_requirement,
    build_requirements,
    build_spans,
    day_bounds,
    interval_count,
)
from pipelines.coverage.requirements import load_requirements
from pipelines.report import (
    ReportPaths,
    summary_markdown,
    summary_text,
    verdict_lines,
    write_daily_report,
)
from pipelines.report import writer as report_writer
from pipelines.report.axis import expected_intervals
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES, PROJECT_ROOT
from pipelines.warehouse import connect
from tests.support.seeding import seed_days

TZ = "America/New_York"
DAY = date(2024, 3, 12)  # an ordinary day, UTC-4
GENERATED = datetime(2024, 3, 13, 2, 5, 0, tzinfo=UTC)

SCHEMA = """
CREATE TABLE scopes (
    scope_key VARCHAR, kind VARCHAR, ref_id VARCHAR, name VARCHAR, agent_ids VARCHAR[],
    updated_at TIMESTAMPTZ);
CREATE TABLE coverage_vs_requirement (
    day DATE, scope_key VARCHAR, interval_start TIMESTAMPTZ, local_start TIMESTAMP,
    required_agents DOUBLE, staffed DOUBLE, available DOUBLE, gap DOUBLE, met BOOLEAN,
    observed_share DOUBLE, on_queue DOUBLE, idle_available DOUBLE, logged_in DOUBLE,
    scheduled DOUBLE, net_staffing DOUBLE, requirement_source VARCHAR, is_future BOOLEAN,
    basis VARCHAR DEFAULT 'provisional');
CREATE TABLE coverage_daily_summary (
    day DATE, scope_key VARCHAR, intervals INTEGER, intervals_observed INTEGER,
    intervals_with_requirement INTEGER, intervals_met INTEGER, share_met DOUBLE,
    shortfall_agent_hours DOUBLE, worst_interval_start TIMESTAMPTZ, worst_gap DOUBLE,
    avg_available DOUBLE, avg_required DOUBLE, intervals_judged INTEGER, avg_on_queue DOUBLE,
    avg_idle_available DOUBLE, avg_net_staffing DOUBLE, surplus_agent_hours DOUBLE,
    avg_scheduled DOUBLE);
CREATE TABLE coverage_intervals (
    day DATE, scope_key VARCHAR, interval_start TIMESTAMPTZ, interval_end TIMESTAMPTZ,
    local_start TIMESTAMP, observed_seconds DOUBLE, observed_share DOUBLE,
    avg_available DOUBLE, avg_busy DOUBLE, avg_away DOUBLE, avg_offline DOUBLE,
    avg_other DOUBLE, staffed DOUBLE, min_available INTEGER, max_available INTEGER,
    occupancy DOUBLE, zero_available_share DOUBLE, observations INTEGER,
    avg_busy_productive DOUBLE, avg_busy_other DOUBLE, avg_on_queue DOUBLE,
    avg_logged_in DOUBLE, shrinkage DOUBLE, busy_capacity_known DOUBLE,
    basis VARCHAR DEFAULT 'provisional');
CREATE TABLE staffing_requirements (
    day DATE, scope_key VARCHAR, interval_start TIMESTAMPTZ, local_start TIMESTAMP,
    required_agents DOUBLE, source VARCHAR, scheduled_required DOUBLE,
    service_level_expected DOUBLE);
CREATE TABLE coverage_bases (day DATE, scope_key VARCHAR, basis VARCHAR, decided_at TIMESTAMPTZ);
CREATE TABLE coverage_reconciliation (
    day DATE, scope_key VARCHAR, basis VARCHAR, cells INTEGER, cells_polled INTEGER,
    cells_fully_polled INTEGER, polled_share DOUBLE, cells_covered INTEGER,
    observed_share DOUBLE, cells_repaired INTEGER, cells_compared INTEGER,
    mean_available DOUBLE, mae_available DOUBLE, mae_available_share DOUBLE,
    mean_on_queue DOUBLE, mae_on_queue DOUBLE, mae_on_queue_share DOUBLE,
    built_at TIMESTAMPTZ);
CREATE TABLE membership (valid_from TIMESTAMPTZ);
CREATE TABLE agent_status_spans (day DATE, basis VARCHAR, span_end TIMESTAMPTZ);
"""

SALES = "<Sales & Co>"
SUPPORT = "Support $ VIP $ desk"  # '$' would start matplotlib mathtext if not escaped
ALL = "All agents"

# Four 15-minute intervals from 09:00 local (13:00 UTC). Per scope: (required, on_queue,
# observed_share) per interval; None is SQL NULL. Idle available = on_queue - 1 (at least 0),
# net staffing = gap = on_queue - required. Support's unobserved second interval requires 6:
# an average of "required" over every interval with a requirement (3.0) would differ from
# the one over the judged intervals (2.0), which is the one the report must show.
SCOPES = {
    "skill:sales": (SALES, [(3, 2.0, 1.0), (3, 3.0, 1.0), (4, 5.0, 1.0), (4, 3.0, 1.0)]),
    "queue:support": (SUPPORT, [(2, 2.0, 1.0), (6, None, 0.0), (2, 1.0, 1.0), (2, 0.0, 0.5)]),
    "all": (ALL, [(None, 5.0, 1.0), (None, 6.0, 1.0), (None, 7.25, 1.0), (None, 8.0, 1.0)]),
}
START = datetime(2024, 3, 12, 13, 0, tzinfo=UTC)
SOURCES = {"skill:sales": "target", "queue:support": "kore_erlang_a"}
# Hand-computed daily summaries over the judged intervals (requirement, observed, not future);
# shortfall = sum(max(required - on_queue, 0)) * 0.25 h, surplus = sum(max(on_queue -
# required, 0)) * 0.25 h.
SUMMARY = [
    # scope_key, intervals, observed, with_req, met, share_met, shortfall, worst, worst_gap,
    # avg_available (observed cells), avg_required, judged, avg_on_queue, avg_idle_available,
    # avg_net_staffing, surplus, avg_scheduled
    ("skill:sales", 4, 4, 4, 2, 0.5, 0.5, START, -1.0, 2.25, 3.5, 4, 3.25, 2.25, -0.25, 0.25,
     None),
    ("queue:support", 4, 3, 4, 1, 1 / 3, 0.75, START + timedelta(minutes=45), -2.0, 1 / 3, 2.0,
     3, 1.0, 1 / 3, -1.0, 0.0, None),
    ("all", 4, 4, 0, 0, None, 0.0, None, None, 5.5625, None, 0, None, None, None, 0.0, None),
]  # fmt: skip
SUMMARY_COLUMNS = (
    "scope_key, intervals, intervals_observed, intervals_with_requirement, intervals_met, "
    "share_met, shortfall_agent_hours, worst_interval_start, worst_gap, avg_available, "
    "avg_required, intervals_judged, avg_on_queue, avg_idle_available, avg_net_staffing, "
    "surplus_agent_hours, avg_scheduled"
)


def _create(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(SCHEMA)
    return con


def _insert(con: duckdb.DuckDBPyConnection, table: str, row: dict) -> None:
    """By column name, so the same helper fills the real migrated tables (extra columns)."""
    columns = ", ".join(row)
    marks = ", ".join("?" * len(row))
    con.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))


def _insert_day(
    con: duckdb.DuckDBPyConnection,
    day: date,
    scopes: dict[str, tuple[str, list[tuple]]],
    starts: list[datetime],
    tz: str,
    *,
    skip_unobserved_intervals: bool = False,
    future_from: datetime | None = None,
    capacity_known: float | None = 1.0,
    service_level: float | None = None,
) -> None:
    """Fill the interval tables from (required, on_queue, share) per interval (see SCOPES)."""
    zone = ZoneInfo(tz)
    for key, (name, cells) in scopes.items():
        kind, _, ref = key.partition(":")
        con.execute(
            "INSERT INTO scopes (scope_key, kind, ref_id, name, agent_ids, updated_at) "
            "VALUES (?, ?, ?, ?, NULL, ?)",
            [key, kind, ref, name, GENERATED],
        )
        source = SOURCES.get(key, "target")
        for start, (required, on_queue, share) in zip(starts, cells, strict=True):
            local = start.astimezone(zone).replace(tzinfo=None)
            future = future_from is not None and start >= future_from
            if future and required is not None:
                source = "profile_erlang_a"
            observed = share > 0
            idle = None if on_queue is None else max(on_queue - 1.0, 0.0)
            net = None if required is None or on_queue is None else on_queue - required
            met = None if net is None else net >= 0
            staffed = on_queue
            logged_in = None if on_queue is None else on_queue + 0.75
            if required is not None:
                _insert(con, "staffing_requirements", {
                    "day": day, "scope_key": key, "interval_start": start, "local_start": local,
                    "required_agents": required, "source": source,
                    "scheduled_required": None, "service_level_expected": service_level,
                })  # fmt: skip
            _insert(con, "coverage_vs_requirement", {
                "day": day, "scope_key": key, "interval_start": start, "local_start": local,
                "required_agents": required, "staffed": staffed, "available": idle, "gap": net,
                "met": met, "observed_share": share, "on_queue": on_queue,
                "idle_available": idle, "logged_in": logged_in, "scheduled": None,
                "net_staffing": net,
                "requirement_source": None if required is None else source,
                "is_future": future,
            })  # fmt: skip
            if skip_unobserved_intervals and not observed:
                continue
            _insert(con, "coverage_intervals", {
                "day": day, "scope_key": key, "interval_start": start,
                "interval_end": start + timedelta(minutes=15), "local_start": local,
                "observed_seconds": share * 900, "observed_share": share,
                "avg_available": idle, "avg_busy": 1.0 if observed else None,
                "avg_away": 0.5 if observed else None,
                "avg_offline": 0.25 if observed else None,
                "avg_other": 0.0 if observed else None, "staffed": staffed,
                "min_available": None if idle is None else math.floor(idle),
                "max_available": None if idle is None else math.ceil(idle),
                "occupancy": 0.4 if observed else None,
                "zero_available_share": 0.0 if observed else None,
                "observations": int(share * 15),
                "avg_busy_productive": 1.0 if observed else None,
                "avg_busy_other": 0.0 if observed else None,
                "avg_on_queue": on_queue, "avg_logged_in": logged_in,
                "shrinkage": None if not on_queue else 1 - on_queue / logged_in,
                "busy_capacity_known": capacity_known if observed else None,
            })  # fmt: skip


def _insert_summary(con: duckdb.DuckDBPyConnection, day: date, rows: list[tuple]) -> None:
    """By column name, so the same helper fills the real migrated table (extra columns)."""
    marks = ", ".join("?" * (len(rows[0]) + 1))
    con.executemany(
        f"INSERT INTO coverage_daily_summary (day, {SUMMARY_COLUMNS}) VALUES ({marks})",
        [[day, *row] for row in rows],
    )


@pytest.fixture()
def db(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = _create(tmp_path / "warehouse.duckdb")
    starts = [START + timedelta(minutes=15 * i) for i in range(4)]
    _insert_day(con, DAY, SCOPES, starts, TZ)
    _insert_summary(con, DAY, SUMMARY)
    yield con
    con.close()


class _Page(HTMLParser):
    """Tables (cell text and attributes, by table id) and images of a report."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[tuple[str, dict[str, str | None]]]]] = {}
        self.row_attrs: dict[str, list[dict[str, str | None]]] = {}
        self.images: list[dict[str, str | None]] = []
        self.tags: list[str] = []
        self._table: str | None = None
        self._cell: tuple[list[str], dict[str, str | None]] | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "table":
            self._table = a.get("id") or f"table{len(self.tables)}"
            self.tables[self._table] = []
            self.row_attrs[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._table and self._in_body:
            self.tables[self._table].append([])
            self.row_attrs[self._table].append(a)
        elif tag == "td" and self._table and self._in_body:
            self._cell = ([], a)
        elif tag == "img":
            self.images.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table:
            text, attrs = self._cell
            self.tables[self._table][-1].append(("".join(text).strip(), attrs))
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[0].append(data)


def _parse(path: Path) -> tuple[str, _Page]:
    text = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    page.close()
    return text, page


def _value(attr: str | None) -> float | None:
    return None if attr in (None, "") else float(attr)


def _write(
    con: duckdb.DuckDBPyConnection, out: Path, day: date = DAY, tz: str = TZ, **kwargs: str
) -> ReportPaths:
    return write_daily_report(con, day, out, tz, 15, generated_at=GENERATED, **kwargs)


def test_files_are_written_under_the_date_folder(db, tmp_path):
    paths = _write(db, tmp_path / "reports")
    folder = tmp_path / "reports" / "2024-03-12"
    assert paths == ReportPaths(
        html=folder / "coverage.html", csv=folder / "coverage.csv", directory=folder
    )
    assert sorted(p.name for p in folder.iterdir()) == ["coverage.csv", "coverage.html"]


def test_html_is_self_contained_and_escaped(db, tmp_path):
    text, page = _parse(_write(db, tmp_path / "r").html)
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text and "<link" not in text and "@import" not in text
    # 1 ranking chart + 3 per-scope charts + 1 heatmap, all inline PNGs.
    assert len(page.images) == 5
    assert all(img["src"].startswith("data:image/png;base64,") for img in page.images)
    assert "&lt;Sales &amp; Co&gt;" in text and SALES not in text
    assert SUPPORT in text and ALL in text
    assert "2024-03-12" in text and TZ in text and "2024-03-13 02:05:00 UTC" in text
    assert "max-width" in text and "<style>" in text
    # Sections in the promised order.
    order = [text.index(f'id="{s}"') for s in ("summary", "ranking", "scopes", "heatmap")]
    assert order == sorted(order) and order[-1] < text.index('id="completeness"')
    # Built from polls (no coverage_bases row says otherwise): provisional, and no
    # reconciliation table, since nothing exact was compared.
    assert 'data-basis="provisional"' in text and "reconciliation-table" not in text


def test_summary_table_matches_the_daily_summary_and_ranks_by_shortfall(db, tmp_path):
    text, page = _parse(_write(db, tmp_path / "r").html)
    rows = page.tables["summary-table"]
    keys = [a["data-scope-key"] for a in page.row_attrs["summary-table"]]
    assert keys == ["queue:support", "skill:sales", "all"]  # 0.75 > 0.5 > 0

    columns = (
        "avg_on_queue, avg_required, avg_net_staffing, avg_idle_available, share_met, "
        "shortfall_agent_hours, surplus_agent_hours, worst_gap"
    )
    expected = db.execute(
        f"SELECT scope_key, {columns} FROM coverage_daily_summary WHERE day = ?", [DAY]
    ).fetchall()
    by_key = {r[0]: r[1:] for r in expected}
    names = {"queue:support": SUPPORT, "skill:sales": SALES, "all": ALL}
    for key, cells in zip(keys, rows, strict=True):
        rank, name, code, on_queue, req, net, idle, met, short, over, worst, gap = cells
        assert name[0] == names[key] and code[0] == key
        figures = (on_queue, req, net, idle, met, short, over, gap)
        assert tuple(_value(c[1]["data-value"]) for c in figures) == by_key[key]
    # Displayed figures: rounded, net signed, "k of n" judged intervals, NULL as an em dash,
    # local worst time.
    support, sales, everyone = rows
    shown = [[c[0] for c in row[3:]] for row in rows]
    assert shown[0] == ["1.0", "2.0", "-1.0", "0.3", "1 of 3", "0.75", "0.00", "09:45", "-2.0"]
    assert shown[1] == ["3.2", "3.5", "-0.2", "2.2", "2 of 4", "0.50", "0.25", "09:00", "-1.0"]
    assert shown[2] == ["\u2014"] * 3 + ["\u2014", "\u2014", "0.00", "0.00", "\u2014", "\u2014"]
    assert support[7][1]["title"] == "1 of 3 judged intervals met"
    # The partial-day label heads each scope's chart, too.
    assert "2 of 4 judged intervals met" in text
    assert "1 of 3 judged intervals met" in text


def test_averages_are_over_the_judged_intervals_only(db, tmp_path):
    """The summary's averages must be the means over ONE set of intervals: requirement AND
    observed AND not in the future. Recomputed here from the CSV's interval rows; an average
    of required over every interval with a requirement (support: 3.0) or of on-queue over every
    observed one would not match."""
    paths = _write(db, tmp_path / "r")
    _, page = _parse(paths.html)
    with paths.csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    shown = {
        a["data-scope-key"]: [_value(c[1].get("data-value")) for c in cells[3:7]]
        for a, cells in zip(
            page.row_attrs["summary-table"], page.tables["summary-table"], strict=True
        )
    }
    for key, (on_queue, required, net, idle) in shown.items():
        judged = [
            r for r in rows
            if r["scope_key"] == key and r["required_agents"] and r["on_queue"]
            and float(r["observed_share"]) > 0 and r["is_future"] != "true"
        ]  # fmt: skip

        def mean(column: str, cells: list[dict] = judged) -> float | None:
            return sum(float(r[column]) for r in cells) / len(cells) if cells else None

        assert on_queue == pytest.approx(mean("on_queue")), key
        assert required == pytest.approx(mean("required_agents")), key
        assert net == pytest.approx(mean("net_staffing")), key
        assert idle == pytest.approx(mean("avg_available")), key
    assert shown["queue:support"][1] == 2.0  # not 3.0, the mean over every required interval


def test_completeness_note_counts_observed_cells(db, tmp_path):
    text, page = _parse(_write(db, tmp_path / "r").html)
    assert "Observed <strong>11</strong> of <strong>12</strong> scope-intervals" in text
    assert "(<strong>91.7%</strong>)" in text
    table = {row[1][0]: (row[2][0], row[3][0]) for row in page.tables["completeness-table"]}
    assert table == {"queue:support": ("3", "4"), "skill:sales": ("4", "4"), "all": ("4", "4")}


def test_csv_has_every_scope_interval_with_values_from_the_tables(db, tmp_path):
    paths = _write(db, tmp_path / "r")
    with paths.csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(report.CSV_COLUMNS)
    assert len(rows) == 3 * 4
    assert [(r["scope_key"], r["interval_start"]) for r in rows] == sorted(
        (r["scope_key"], r["interval_start"]) for r in rows
    )
    expected = db.execute(
        """
        SELECT c.*, v.required_agents, v.gap, v.met, v.on_queue, v.logged_in, v.scheduled,
            v.net_staffing, v.requirement_source, v.is_future, r.service_level_expected,
            r.scheduled_required, s.name
        FROM coverage_intervals c
        JOIN coverage_vs_requirement v USING (day, scope_key, interval_start)
        LEFT JOIN staffing_requirements r USING (day, scope_key, interval_start)
        JOIN scopes s USING (scope_key)
        ORDER BY scope_key, interval_start
        """
    ).df()
    text_columns = (
        "day", "scope_key", "scope_name", "interval_start", "local_start", "met", "is_future",
        "requirement_source", "basis",
    )  # fmt: skip
    numeric = [c for c in report.CSV_COLUMNS if c not in text_columns]
    for row, (_, want) in zip(rows, expected.iterrows(), strict=True):
        assert row["day"] == "2024-03-12"
        assert row["scope_key"] == want["scope_key"] and row["scope_name"] == want["name"]
        start = want["interval_start"].to_pydatetime().astimezone(UTC)
        assert row["interval_start"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert row["local_start"] == want["local_start"].strftime("%Y-%m-%dT%H:%M:%S")
        for column in numeric:
            if pd.isna(want[column]):
                assert row[column] == "", column
            else:
                assert float(row[column]) == float(want[column]), column
        assert row["met"] == ("" if pd.isna(want["met"]) else str(bool(want["met"])).lower())
        assert row["is_future"] == "false"
        assert row["basis"] == want["basis"] == "provisional"  # built from polls only
        source = want["requirement_source"]
        assert row["requirement_source"] == ("" if pd.isna(source) else source)
    unobserved = next(
        r for r in rows if r["scope_key"] == "queue:support" and r["observed_share"] == "0.0"
    )
    assert unobserved["avg_available"] == "" and unobserved["gap"] == "" and unobserved["met"] == ""
    assert unobserved["net_staffing"] == "" and unobserved["required_agents"] == "6.0"
    no_requirement = [r for r in rows if r["scope_key"] == "all"]
    assert all(
        r["required_agents"] == r["gap"] == r["met"] == r["requirement_source"] == ""
        for r in no_requirement
    )
    assert {r["requirement_source"] for r in rows if r["scope_key"] == "skill:sales"} == {"target"}


def test_csv_and_html_say_where_each_requirement_came_from(tmp_path):
    """Every source code in the CSV, its readable name in the HTML; forecast intervals marked."""
    con = _create(tmp_path / "w.duckdb")
    starts = [START + timedelta(minutes=15 * i) for i in range(4)]
    codes = {
        "skill:t": "target", "skill:f": "forecast_erlang_c", "queue:ka": "kore_erlang_a",
        "queue:kc": "kore_erlang_c", "skill:p": "profile_erlang_c",
    }  # fmt: skip
    for key, code in codes.items():
        SOURCES[key] = code
    try:
        cells = [(2, 3.0, 1.0), (2, 1.0, 1.0), (2, None, 0.0), (3, None, 0.0)]
        scopes = {key: (f"Scope {key}", cells) for key in codes}
        _insert_day(con, DAY, scopes, starts, TZ, future_from=starts[2])
    finally:
        for key in codes:
            del SOURCES[key]
    summary = [
        (key, 4, 2, 4, 1, 0.5, 0.25, starts[1], -1.0, 1.0, 2.0, 2, 2.0, 1.0, 0.0, 0.25, None)
        for key in codes
    ]
    _insert_summary(con, DAY, summary)
    paths = _write(con, tmp_path / "r")
    with paths.csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_key = {}
    for r in rows:
        by_key.setdefault(r["scope_key"], []).append((r["requirement_source"], r["is_future"]))
    for key, code in codes.items():
        past, future = (code, "false"), ("profile_erlang_a", "true")
        assert by_key[key] == [past, past, future, future]
    text, page = _parse(paths.html)
    sources = {
        a["data-scope-key"]: cells[2][0]
        for a, cells in zip(
            page.row_attrs["requirement-table"], page.tables["requirement-table"], strict=True
        )
    }
    assert sources == {
        "skill:t": "Targets file, Profile forecast (Erlang A)",
        "skill:f": "Forecast file (Erlang C), Profile forecast (Erlang A)",
        "queue:ka": "Kore demand (Erlang A), Profile forecast (Erlang A)",
        "queue:kc": "Kore demand (Erlang C), Profile forecast (Erlang A)",
        "skill:p": "Profile forecast (Erlang A), Profile forecast (Erlang C)",
    }
    # Forecast requirements: the 2 intervals still ahead, and every interval sized from the
    # profile forecast.
    forecast = {cells[1][0]: cells[3][0] for cells in page.tables["requirement-table"]}
    assert forecast == {key: "4" if key == "skill:p" else "2" for key in codes}
    assert (
        'id="forecast-note"' in text and "10 scope-intervals of this day were still ahead" in text
    )
    # Completeness leaves the intervals still ahead out: 2 of 2 past intervals per scope.
    assert "Observed <strong>10</strong> of <strong>10</strong> scope-intervals" in text
    assert "10 scope-intervals still ahead are left out" in text


def test_csv_keeps_intervals_missing_from_coverage_intervals(tmp_path):
    con = _create(tmp_path / "w.duckdb")
    starts = [START + timedelta(minutes=15 * i) for i in range(4)]
    _insert_day(
        con, DAY, {"queue:support": SCOPES["queue:support"]}, starts, TZ,
        skip_unobserved_intervals=True,
    )  # fmt: skip
    assert con.execute("SELECT count(*) FROM coverage_intervals").fetchone()[0] == 3
    with _write(con, tmp_path / "r").csv.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4
    assert rows[1]["observed_share"] == "0.0" and rows[1]["local_start"] == "2024-03-12T09:15:00"
    assert rows[1]["required_agents"] == "6.0" and rows[1]["avg_busy"] == ""


def test_empty_day_still_writes_a_report_that_says_so(db, tmp_path):
    paths = _write(db, tmp_path / "r", day=date(2024, 3, 13))
    text, page = _parse(paths.html)
    assert "No data" in text and 'id="no-data"' in text
    assert page.images == []
    assert "http://" not in text and "https://" not in text
    assert paths.csv.read_text(encoding="utf-8") == ",".join(report.CSV_COLUMNS) + "\n"


def test_empty_tables_do_not_crash(tmp_path):
    con = _create(tmp_path / "w.duckdb")
    text, _ = _parse(_write(con, tmp_path / "r").html)
    assert "No data" in text


def _full_day(con: duckdb.DuckDBPyConnection, day: date, tz: str) -> list[datetime]:
    zone = ZoneInfo(tz)
    first = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    starts = []
    while first < end:
        starts.append(first)
        first += timedelta(minutes=15)
    n = len(starts)
    scopes = {
        "skill:a": ("Skill A", [(3.0, float(i % 5), 1.0 if i % 7 else 0.0) for i in range(n)]),
        "queue:b": ("Queue B", [(None, float(i % 3), 1.0) for i in range(n)]),
    }
    _insert_day(con, day, scopes, starts, tz)
    return starts


@pytest.mark.parametrize(("day", "intervals"), [(date(2024, 11, 3), 100), (date(2024, 3, 10), 92)])
def test_dst_days(tmp_path, day, intervals):
    con = _create(tmp_path / "w.duckdb")
    starts = _full_day(con, day, TZ)
    assert len(starts) == intervals
    # Fall-back day: worst interval is the second 01:30 (06:30 UTC, UTC-5), a repeated local
    # time. Spring-forward day: the first interval after the jump, 03:00 EDT (07:00 UTC).
    worst = datetime(2024, 11, 3, 6, 30, tzinfo=UTC) if intervals == 100 else starts[8]
    _insert_summary(
        con,
        day,
        [
            ("skill:a", intervals, intervals - 14, intervals - 14, 10, 0.1, 12.5, worst,
             -3.0, 2.0, 3.0, intervals - 14, 2.0, 1.0, -1.0, 3.0, None),
            ("queue:b", intervals, intervals, 0, 0, None, None, None, None, 1.0, None, 0,
             None, None, None, None, None),
        ],
    )  # fmt: skip
    paths = write_daily_report(con, day, tmp_path / "r", TZ, 15)
    text, page = _parse(paths.html)
    assert len(page.images) == 1 + 2 + 1
    with paths.csv.open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 2 * intervals
    assert f"has {intervals} intervals of 15 minutes per scope" in text
    assert "expected rows" not in text  # the table holds exactly the expected cells
    worst_cell = page.tables["summary-table"][0][10][0]
    if intervals == 100:
        assert worst_cell == "01:30 (UTC-05:00)"
        assert "clocks went back" in text
    else:
        assert worst == datetime(2024, 3, 10, 7, 0, tzinfo=UTC) and worst_cell == "03:00"


def test_works_on_the_migrated_warehouse_schema(tmp_path):
    """Guards the report's SQL against drift from sql/migrations (extra columns, NOT NULLs)."""
    with connect(tmp_path / "w.duckdb") as con:
        starts = [START + timedelta(minutes=15 * i) for i in range(4)]
        _insert_day(con, DAY, SCOPES, starts, TZ)
        _insert_summary(con, DAY, SUMMARY)
        paths = _write(con, tmp_path / "r")
        con.execute("BEGIN TRANSACTION")  # the report left no transaction of its own open
        _write(con, tmp_path / "inside")  # and leaves the caller's transaction usable
        con.execute(
            "INSERT INTO scopes (scope_key, kind, ref_id, name, agent_ids, updated_at) "
            "VALUES ('x', 'all', '', 'X', NULL, now())"
        )
        con.execute("COMMIT")
    _, page = _parse(paths.html)
    assert len(page.images) == 5
    assert (tmp_path / "inside" / "2024-03-12" / "coverage.html").read_bytes() == (
        paths.html.read_bytes()
    )
    assert [a["data-scope-key"] for a in page.row_attrs["summary-table"]] == [
        "queue:support",
        "skill:sales",
        "all",
    ]
    with paths.csv.open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 12


def test_overwrite_is_atomic_and_leaves_no_temp_files(db, tmp_path, monkeypatch):
    out = tmp_path / "r"
    first = _write(db, out)
    before = first.html.read_bytes(), first.csv.read_bytes()
    _write(db, out)
    assert sorted(os.listdir(first.directory)) == ["coverage.csv", "coverage.html"]

    # A failure while rendering touches nothing.
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(report_writer, "render_html", broken)
    with pytest.raises(RuntimeError):
        _write(db, out)
    monkeypatch.undo()
    # A failure while moving the file into place leaves the old file and no temp file.
    monkeypatch.setattr(report_writer.os, "replace", broken)
    with pytest.raises(RuntimeError):
        report_writer.write_atomic(first.html, "half a report")
    monkeypatch.undo()
    assert sorted(os.listdir(first.directory)) == ["coverage.csv", "coverage.html"]
    assert (first.html.read_bytes(), first.csv.read_bytes()) == before


@pytest.mark.subprocess
def test_report_leaves_pyplot_alone(db, tmp_path):
    """Charts must not go through pyplot's global state; checked in a clean interpreter."""
    db.close()
    script = (
        "import sys, duckdb, datetime\n"
        "from pipelines.report import write_daily_report\n"
        f"con = duckdb.connect({str(tmp_path / 'warehouse.duckdb')!r}, read_only=True)\n"
        "con.execute(\"SET TimeZone = 'UTC'\")\n"
        f"write_daily_report(con, datetime.date(2024, 3, 12), {str(tmp_path / 'r')!r}, "
        f"{TZ!r}, 15)\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).parents[2])


def test_summary_markdown_rounds_and_marks_nulls():
    frame = pd.DataFrame(
        {
            "scope_key": ["queue:b", "skill:a|x", "all"],
            "name": ["Queue B", "A | pipe", None],
            "avg_on_queue": [12.345, 3.0, 7.96],
            "avg_required": [14.0, None, float("nan")],
            "avg_net_staffing": [-1.655, None, 0.04],
            "intervals_met": [7, 0, 4],
            "intervals_judged": [8, 0, 4],
            "shortfall_agent_hours": [1.234, -0.001, None],
            "surplus_agent_hours": [0.5, 0.0, None],
        }
    )
    lines = summary_markdown(frame).splitlines()
    assert lines[0].startswith("| Scope | Avg on-queue | Avg required | Net staffing |")
    assert lines[1].startswith("|:--|")
    assert lines[2] == "| Queue B | 12.3 | 14.0 | -1.7 | 7 of 8 | 1.23 | 0.50 |"
    assert lines[3] == "| A \\| pipe | 3.0 | \u2014 | \u2014 | \u2014 | 0.00 | 0.00 |"
    assert lines[4] == "| all | 8.0 | \u2014 | 0.0 | 4 of 4 | \u2014 | \u2014 |"
    assert summary_markdown(frame.iloc[0:0]) == "_No coverage data._"


def test_summary_text_is_fixed_width():
    frame = pd.DataFrame(
        {
            "scope_key": ["queue:b", "all"],
            "name": ["Queue B", "x" * 50],
            "avg_on_queue": [12.345, 1.0],
            "avg_required": [10.0, None],
            "avg_net_staffing": [2.345, None],
            "intervals_met": [3, 0],
            "intervals_judged": [4, 0],
            "shortfall_agent_hours": [10.0, None],
            "surplus_agent_hours": [12.5, None],
        }
    )
    lines = summary_text(frame).splitlines()
    assert len(lines) == 4
    assert lines[0].split() == [
        "Scope", "On-queue", "Required", "Net", "Met", "Short", "h", "Over", "h"
    ]  # fmt: skip
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["Queue", "B", "12.3", "10.0", "+2.3", "3", "of", "4", "10.00",
                                "12.50"]  # fmt: skip
    assert lines[3].startswith("x" * 31 + "\u2026")
    # Right-aligned numbers: every row's last column ends at the same place.
    assert len({len(line) for line in lines[1:3]}) == 1
    assert summary_text(frame.iloc[0:0]) == "No coverage data."
    assert verdict_lines(frame) == [
        "Short on average (net < 0): none.",
        "Over on average (net > 0): Queue B +2.3 agents.",
        "Short in some intervals all the same: Queue B 1 of 4 intervals (10.00 agent-hours).",
        f"No judged intervals (no requirement or no data): {'x' * 50}.",
    ]


def test_load_summary_feeds_summary_markdown(db):
    markdown = summary_markdown(report.load_summary(db, DAY))
    line = f"| {SUPPORT} | 1.0 | 2.0 | -1.0 | 1 of 3 | 0.75 | 0.00 |"
    assert markdown.splitlines()[2] == line
    # Scope names go through the one Markdown renderer: '<', '&' and '>' are escaped.
    assert "| \\<Sales \\& Co\\> |" in markdown and SALES not in markdown
    lines = verdict_lines(report.load_summary(db, DAY))
    assert all(len(line) <= 100 for text in lines for line in text.splitlines())
    assert [" ".join(text.split()) for text in lines] == [
        f"Short on average (net < 0): {SUPPORT} -1.0 agents (0.75 agent-hours short), "
        f"{SALES} -0.2 agents (0.50 agent-hours short).",
        "Over on average (net > 0): none.",
        f"No judged intervals (no requirement or no data): {ALL}.",
    ]


LORD_HOWE = "Australia/Lord_Howe"  # DST shifts by 30 minutes
LORD_HOWE_DST_END = date(2026, 4, 5)  # clocks go back from +11:00 to +10:30: 24.5 hours


@pytest.mark.parametrize(
    ("day", "tz", "minutes"),
    [
        (LORD_HOWE_DST_END, LORD_HOWE, 60),
        (LORD_HOWE_DST_END, LORD_HOWE, 15),
        (date(2026, 10, 4), LORD_HOWE, 60),  # spring forward: 23.5 hours
        (date(2024, 11, 3), TZ, 15),
        (date(2024, 3, 10), TZ, 60),
        (DAY, TZ, 30),
    ],
)
def test_expected_intervals_are_the_coverage_grids(day, tz, minutes):
    """The report counts a day's intervals exactly as the coverage job cuts them."""
    settings = CoverageSettings(time_zone=tz, interval_minutes=minutes)
    assert expected_intervals(day, tz, minutes) == interval_count(day, settings)


def test_half_hour_dst_day_expects_the_grids_last_short_interval(tmp_path):
    """On a 24.5-hour day the coverage grid has 25 hourly cells (the last one half an hour):
    the report expects 25, so a complete day is not reported as having surplus rows."""
    start, end = day_bounds(LORD_HOWE_DST_END, LORD_HOWE)
    assert end - start == timedelta(hours=24, minutes=30)
    starts = []
    while start < end:
        starts.append(start)
        start += timedelta(hours=1)
    assert len(starts) == 25
    con = _create(tmp_path / "w.duckdb")
    cells = [(2.0, 3.0, 1.0)] * len(starts)
    _insert_day(con, LORD_HOWE_DST_END, {"skill:a": ("Skill A", cells)}, starts, LORD_HOWE)
    paths = write_daily_report(con, LORD_HOWE_DST_END, tmp_path / "r", LORD_HOWE, 60)
    text, page = _parse(paths.html)
    assert "has 25 intervals of 60 minutes per scope" in text
    assert "expected rows" not in text
    assert page.tables["completeness-table"] == [
        [("Skill A", {}), ("skill:a", {}), ("25", {"class": "num"}), ("25", {"class": "num"}),
         ("100.0%", {"class": "num"})]
    ]  # fmt: skip


def test_csv_text_cells_cannot_run_as_spreadsheet_formulas(tmp_path):
    names = {
        "skill:f1": '=HYPERLINK("https://example.com","x")',
        "skill:f2": "+1+1",
        "skill:f3": "-2+3",
        "skill:f4": "@SUM(A1:A2)",
        "skill:f5": "\t=1",
        "skill:ok": "Sales - EMEA",
    }
    con = _create(tmp_path / "w.duckdb")
    for key, name in names.items():
        # One interval each; required 3 and available 2 make the gap a negative figure.
        _insert_day(con, DAY, {key: (name, [(3, 2.0, 1.0)])}, [START], TZ)
    _insert_day(con, DAY, {"-queue": ("Q", [(3, 2.0, 1.0)])}, [START], TZ)
    with _write(con, tmp_path / "r").csv.open(newline="", encoding="utf-8") as handle:
        rows = {r["scope_key"]: r for r in csv.DictReader(handle)}
    for key, name in names.items():
        want = name if key == "skill:ok" else "'" + name
        assert rows[key]["scope_name"] == want
        assert rows[key]["gap"] == "-1.0"  # figures stay numbers
    assert rows["'-queue"]["scope_name"] == "Q"


def test_hostile_scope_keys_and_names_are_escaped_everywhere(tmp_path):
    key = "skill:\"><script>alert('k')</script>"
    name = "<img src=x onerror=alert(1)> & 'quotes' \"double\""
    con = _create(tmp_path / "w.duckdb")
    _insert_day(con, DAY, {key: (name, [(3, 2.0, 1.0)])}, [START], TZ)
    _insert_summary(
        con, DAY,
        [(key, 1, 1, 1, 0, 0.0, 0.25, START, -1.0, 1.0, 3.0, 1, 2.0, 1.0, -1.0, 0.0, None)],
    )  # fmt: skip
    text, page = _parse(_write(con, tmp_path / "r", title="<b>Title</b>").html)
    assert "<script" not in text and "<img src=x" not in text and "<b>" not in text
    assert [a["data-scope-key"] for a in page.row_attrs["summary-table"]] == [key]
    assert page.tables["summary-table"][0][1][0] == name
    assert page.tables["completeness-table"][0][:2] == [(name, {}), (key, {})]
    assert f"Net staffing: {name}" in [img["alt"] for img in page.images]
    assert page.tables["requirement-table"][0][:2] == [(name, {}), (key, {})]


@pytest.mark.parametrize(("known", "noted"), [(0.6, True), (1.0, False), (None, False)])
def test_a_note_says_when_busy_time_had_no_capacity_data(tmp_path, known, noted):
    """busy_capacity_known < 1: some BUSY counted as on-queue without knowing it was productive.
    NULL (no BUSY at all) is not a gap in the data."""
    con = _create(tmp_path / "w.duckdb")
    starts = [START + timedelta(minutes=15 * i) for i in range(4)]
    _insert_day(con, DAY, {"skill:sales": SCOPES["skill:sales"]}, starts, TZ,
                capacity_known=known)  # fmt: skip
    _insert_summary(con, DAY, SUMMARY[:1])
    text, page = _parse(_write(con, tmp_path / "r").html)
    assert ('id="capacity-note"' in text) == noted
    assert ("in the worst interval 60.0% of BUSY time had it" in text) == noted
    assert ("Without capacity data every BUSY counts as on-queue" in text) == noted
    capacity = page.tables["requirement-table"][0][7][0]
    assert capacity == {0.6: "60.0%", 1.0: "100.0%", None: "\u2014"}[known]


def test_net_staffing_charts_and_heatmap_are_drawn_per_scope(db, tmp_path):
    text, page = _parse(_write(db, tmp_path / "r").html)
    alts = [img["alt"] for img in page.images]
    assert alts == [
        "Shortfall and surplus by scope",
        f"Net staffing: {SUPPORT}",
        f"Net staffing: {SALES}",
        f"Net staffing: {ALL}",
        "Net staffing heatmap by interval and scope",
    ]
    assert 'alt="Net staffing: &lt;Sales &amp; Co&gt;"' in text
    assert "Net staffing by interval" in text and "diverging" not in text


def test_report_of_a_built_day_averages_one_set_of_intervals(tmp_path):
    """Through the real coverage build (synthetic day, example requirements): every scope's
    averages in the HTML are over the same judged intervals, recomputed from the CSV's rows;
    and with one set, the mean net staffing is the difference of the means."""
    day = date(2026, 11, 17)
    database = str(tmp_path / "built.duckdb")
    settings = CoverageSettings(time_zone=TZ)
    rules = load_requirements(
        PROJECT_ROOT / "config" / "targets.example.csv",
        PROJECT_ROOT / "config" / "forecast.example.csv",
        settings.interval_minutes,
        [scope.key for scope in load_scopes(DEFAULT_SCOPES)],
    )
    seed_days(database, day, agents=30, seed=7, zone=TZ)
    with connect(database) as con:
        build_spans(con, day, settings)
        build_coverage(con, day, settings)
        build_requirements(con, day, settings, rules)
        build_coverage_vs_requirement(con, day, settings)
        paths = write_daily_report(con, day, tmp_path / "r", TZ, 15, generated_at=GENERATED)
        summary = report.load_summary(con, day)
    _, page = _parse(paths.html)
    with paths.csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    shown = {
        a["data-scope-key"]: [_value(c[1].get("data-value")) for c in cells[3:7]]
        for a, cells in zip(
            page.row_attrs["summary-table"], page.tables["summary-table"], strict=True
        )
    }
    assert shown.keys() == set(summary["scope_key"])
    judged_scopes = 0
    for key, (on_queue, required, net, idle) in shown.items():
        judged = [
            r for r in rows
            if r["scope_key"] == key and r["required_agents"] and r["on_queue"]
            and float(r["observed_share"]) > 0 and r["is_future"] != "true"
        ]  # fmt: skip
        if not judged:
            assert on_queue is required is net is None, key
            continue
        judged_scopes += 1
        n = len(judged)
        assert on_queue == pytest.approx(sum(float(r["on_queue"]) for r in judged) / n), key
        assert required == pytest.approx(sum(float(r["required_agents"]) for r in judged) / n)
        assert net == pytest.approx(sum(float(r["net_staffing"]) for r in judged) / n), key
        assert net == pytest.approx(on_queue - required), key
        assert idle == pytest.approx(sum(float(r["avg_available"]) for r in judged) / n), key
        record = summary.set_index("scope_key").loc[key]
        assert int(record["intervals_judged"]) == n
        assert int(record["intervals_met"]) == sum(r["met"] == "true" for r in judged)
    assert judged_scopes > 0


def test_a_day_built_before_net_staffing_says_to_rebuild_it(db, tmp_path):
    """Migration 008 leaves NULL in the new columns of days built before it: the report says
    so instead of showing empty figures without a reason."""
    text, _ = _parse(_write(db, tmp_path / "now").html)
    assert 'id="rebuild-note"' not in text
    db.execute(
        "UPDATE coverage_vs_requirement SET on_queue = NULL, net_staffing = NULL, "
        "is_future = NULL, requirement_source = NULL"
    )
    text, _ = _parse(_write(db, tmp_path / "old").html)
    assert 'id="rebuild-note"' in text and "partition 2024-03-12" in text


def test_report_charts_take_every_colour_from_the_palette():
    """One palette for the report and the notebooks: no chart module names a colour itself."""
    folder = PROJECT_ROOT / "pipelines" / "report"
    for module in folder.glob("*.py"):
        if module.name != "palette.py":
            found = re.findall(r"#[0-9a-fA-F]{6}\b", module.read_text(encoding="utf-8"))
            assert not found, (module.name, found)
