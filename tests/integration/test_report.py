"""The daily report writer against a real DuckDB file filled with small hand-built data."""

from __future__ import annotations

import csv
import math
import os
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
from pipelines.coverage import CoverageSettings, day_bounds, interval_count
from pipelines.report import ReportPaths, summary_markdown, summary_text, write_daily_report
from pipelines.report import writer as report_writer
from pipelines.report.axis import expected_intervals
from pipelines.warehouse import connect

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
    observed_share DOUBLE);
CREATE TABLE coverage_daily_summary (
    day DATE, scope_key VARCHAR, intervals INTEGER, intervals_observed INTEGER,
    intervals_with_requirement INTEGER, intervals_met INTEGER, share_met DOUBLE,
    shortfall_agent_hours DOUBLE, worst_interval_start TIMESTAMPTZ, worst_gap DOUBLE,
    avg_available DOUBLE, avg_required DOUBLE);
CREATE TABLE coverage_intervals (
    day DATE, scope_key VARCHAR, interval_start TIMESTAMPTZ, interval_end TIMESTAMPTZ,
    local_start TIMESTAMP, observed_seconds DOUBLE, observed_share DOUBLE,
    avg_available DOUBLE, avg_busy DOUBLE, avg_away DOUBLE, avg_offline DOUBLE,
    avg_other DOUBLE, staffed DOUBLE, min_available INTEGER, max_available INTEGER,
    occupancy DOUBLE, zero_available_share DOUBLE, observations INTEGER);
"""

SALES = "<Sales & Co>"
SUPPORT = "Support $ VIP $ desk"  # '$' would start matplotlib mathtext if not escaped
ALL = "All agents"

# Four 15-minute intervals from 09:00 local (13:00 UTC). Per scope: (required, available,
# observed_share) per interval; None is SQL NULL. gap = available - required.
SCOPES = {
    "skill:sales": (SALES, [(3, 2.0, 1.0), (3, 3.0, 1.0), (4, 5.0, 1.0), (4, 3.0, 1.0)]),
    "queue:support": (SUPPORT, [(2, 2.0, 1.0), (2, None, 0.0), (2, 1.0, 1.0), (2, 0.0, 0.5)]),
    "all": (ALL, [(None, 5.0, 1.0), (None, 6.0, 1.0), (None, 7.25, 1.0), (None, 8.0, 1.0)]),
}
START = datetime(2024, 3, 12, 13, 0, tzinfo=UTC)
# Hand-computed daily summaries; shortfall = sum(max(required - available, 0)) * 0.25 h.
SUMMARY = [
    # scope_key, intervals, observed, with_req, met, share_met, shortfall, worst, worst_gap,
    # avg_available, avg_required
    ("skill:sales", 4, 4, 4, 2, 0.5, 0.5, START, -1.0, 3.25, 3.5),
    ("queue:support", 4, 3, 3, 1, 1 / 3, 0.75, START + timedelta(minutes=45), -2.0, 1.0, 2.0),
    ("all", 4, 4, 0, 0, None, 0.0, None, None, 6.5625, None),
]


def _create(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(SCHEMA)
    return con


def _insert_day(
    con: duckdb.DuckDBPyConnection,
    day: date,
    scopes: dict[str, tuple[str, list[tuple]]],
    starts: list[datetime],
    tz: str,
    *,
    skip_unobserved_intervals: bool = False,
) -> None:
    """Fill coverage_vs_requirement and coverage_intervals from (required, available, share)."""
    zone = ZoneInfo(tz)
    for key, (name, cells) in scopes.items():
        kind, _, ref = key.partition(":")
        con.execute(
            "INSERT INTO scopes (scope_key, kind, ref_id, name, agent_ids, updated_at) "
            "VALUES (?, ?, ?, ?, NULL, ?)",
            [key, kind, ref, name, GENERATED],
        )
        for start, (required, available, share) in zip(starts, cells, strict=True):
            local = start.astimezone(zone).replace(tzinfo=None)
            observed = share > 0
            gap = None if required is None or available is None else available - required
            met = None if gap is None else gap >= 0
            staffed = None if available is None else available + 1.5
            con.execute(
                "INSERT INTO coverage_vs_requirement (day, scope_key, interval_start, local_start, "
                "required_agents, staffed, available, gap, met, observed_share) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [day, key, start, local, required, staffed, available, gap, met, share],
            )
            if skip_unobserved_intervals and not observed:
                continue
            con.execute(
                "INSERT INTO coverage_intervals (day, scope_key, interval_start, interval_end, "
                "local_start, observed_seconds, observed_share, avg_available, avg_busy, avg_away, "
                "avg_offline, avg_other, staffed, min_available, max_available, occupancy, "
                "zero_available_share, observations) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    day, key, start, start + timedelta(minutes=15), local,
                    share * 900, share,
                    available, 1.0 if observed else None, 0.5 if observed else None,
                    0.25 if observed else None, 0.0 if observed else None, staffed,
                    None if available is None else math.floor(available),
                    None if available is None else math.ceil(available),
                    0.4 if observed else None, 0.0 if observed else None,
                    int(share * 15),
                ],
            )  # fmt: skip


def _insert_summary(con: duckdb.DuckDBPyConnection, day: date, rows: list[tuple]) -> None:
    """By column name, so the same helper fills the real migrated table (extra columns)."""
    con.executemany(
        "INSERT INTO coverage_daily_summary (day, scope_key, intervals, intervals_observed, "
        "intervals_with_requirement, intervals_met, share_met, shortfall_agent_hours, "
        "worst_interval_start, worst_gap, avg_available, avg_required) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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


def test_summary_table_matches_the_daily_summary_and_ranks_by_shortfall(db, tmp_path):
    _, page = _parse(_write(db, tmp_path / "r").html)
    rows = page.tables["summary-table"]
    keys = [a["data-scope-key"] for a in page.row_attrs["summary-table"]]
    assert keys == ["queue:support", "skill:sales", "all"]  # 0.75 > 0.5 > 0

    expected = db.execute(
        "SELECT scope_key, avg_available, avg_required, share_met, shortfall_agent_hours, "
        "worst_gap FROM coverage_daily_summary WHERE day = ?",
        [DAY],
    ).fetchall()
    by_key = {r[0]: r[1:] for r in expected}
    names = {"queue:support": SUPPORT, "skill:sales": SALES, "all": ALL}
    for key, cells in zip(keys, rows, strict=True):
        rank, name, code, avail, req, met, short, worst, gap = cells
        assert name[0] == names[key] and code[0] == key
        got = tuple(_value(c[1]["data-value"]) for c in (avail, req, met, short, gap))
        assert got == by_key[key]
    # Displayed figures: rounded, share as a percent, NULL as an em dash, local worst time.
    support, sales, everyone = rows
    assert [c[0] for c in support[3:]] == ["1.0", "2.0", "33.3% (1/3)", "0.75", "09:45", "-2.0"]
    assert [c[0] for c in sales[3:]] == ["3.2", "3.5", "50.0% (2/4)", "0.50", "09:00", "-1.0"]
    assert [c[0] for c in everyone[3:]] == ["6.6", "\u2014", "\u2014", "0.00", "\u2014", "\u2014"]


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
        SELECT c.*, v.required_agents, v.gap, v.met, s.name
        FROM coverage_intervals c
        JOIN coverage_vs_requirement v USING (day, scope_key, interval_start)
        JOIN scopes s USING (scope_key)
        ORDER BY scope_key, interval_start
        """
    ).df()
    text_columns = ("day", "scope_key", "scope_name", "interval_start", "local_start", "met")
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
    unobserved = next(
        r for r in rows if r["scope_key"] == "queue:support" and r["observed_share"] == "0.0"
    )
    assert unobserved["avg_available"] == "" and unobserved["gap"] == "" and unobserved["met"] == ""
    no_requirement = [r for r in rows if r["scope_key"] == "all"]
    assert all(r["required_agents"] == r["gap"] == r["met"] == "" for r in no_requirement)


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
    assert rows[1]["required_agents"] == "2.0" and rows[1]["avg_busy"] == ""


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
             -3.0, 2.0, 3.0),
            ("queue:b", intervals, intervals, 0, 0, None, None, None, None, 1.0, None),
        ],
    )  # fmt: skip
    paths = write_daily_report(con, day, tmp_path / "r", TZ, 15)
    text, page = _parse(paths.html)
    assert len(page.images) == 1 + 2 + 1
    with paths.csv.open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 2 * intervals
    assert f"has {intervals} intervals of 15 minutes per scope" in text
    assert "expected rows" not in text  # the table holds exactly the expected cells
    worst_cell = page.tables["summary-table"][0][7][0]
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
            "avg_available": [12.345, 3.0, 7.96],
            "avg_required": [14.0, None, float("nan")],
            "share_met": [0.8756, None, 1.0],
            "shortfall_agent_hours": [1.234, -0.001, None],
        }
    )
    lines = summary_markdown(frame).splitlines()
    assert lines[0].startswith("| Scope |") and lines[1].startswith("|:--|")
    assert lines[2] == "| Queue B | 12.3 | 14.0 | 87.6% | 1.23 |"
    assert lines[3] == "| A \\| pipe | 3.0 | \u2014 | \u2014 | 0.00 |"
    assert lines[4] == "| all | 8.0 | \u2014 | 100.0% | \u2014 |"
    assert summary_markdown(frame.iloc[0:0]) == "_No coverage data._"


def test_summary_text_is_fixed_width():
    frame = pd.DataFrame(
        {
            "scope_key": ["queue:b", "all"],
            "name": ["Queue B", "x" * 50],
            "avg_available": [12.345, 1.0],
            "avg_required": [14.0, None],
            "share_met": [0.5, None],
            "shortfall_agent_hours": [10.0, None],
        }
    )
    lines = summary_text(frame).splitlines()
    assert len(lines) == 4
    assert lines[0].split() == ["Scope", "Avg", "avail", "Avg", "req", "Met", "Shortfall", "h"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["Queue", "B", "12.3", "14.0", "50.0%", "10.00"]
    assert lines[3].startswith("x" * 31 + "\u2026")
    # Right-aligned numbers: every row's last column ends at the same place.
    assert len({len(line) for line in lines[1:3]}) == 1
    assert summary_text(frame.iloc[0:0]) == "No coverage data."


def test_load_summary_feeds_summary_markdown(db):
    markdown = summary_markdown(report.load_summary(db, DAY))
    assert markdown.splitlines()[2].startswith(f"| {SUPPORT} | 1.0 | 2.0 | 33.3% | 0.75 |")
    # Scope names go through the one Markdown renderer: '<', '&' and '>' are escaped.
    assert "| \\<Sales \\& Co\\> |" in markdown and SALES not in markdown


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
    _insert_summary(con, DAY, [(key, 1, 1, 1, 0, 0.0, 0.25, START, -1.0, 2.0, 3.0)])
    text, page = _parse(_write(con, tmp_path / "r", title="<b>Title</b>").html)
    assert "<script" not in text and "<img src=x" not in text and "<b>" not in text
    assert [a["data-scope-key"] for a in page.row_attrs["summary-table"]] == [key]
    assert page.tables["summary-table"][0][1][0] == name
    assert page.tables["completeness-table"][0][:2] == [(name, {}), (key, {})]
    assert f"Available vs required: {name}" in [img["alt"] for img in page.images]
