"""Writing one day's report: read, render in memory, then replace both files atomically.

Both files are written to a temporary file in the target folder and moved into place with
``os.replace``, so a reader (a web server, a mail job) sees the old report or the new one,
never half of one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from pipelines.alerts.report import alert_lines
from pipelines.report.axis import expected_intervals
from pipelines.report.csv_export import render_csv
from pipelines.report.data import DayData, Point, load_day
from pipelines.report.finalization import finalization_context
from pipelines.report.render import render_html

__all__ = [
    "MAX_SCOPES_IN_HTML",
    "ReportPaths",
    "shown_in_html",
    "write_daily_report",
    "write_report",
]

# Scopes the HTML draws (summary row, chart, heatmap row), worst shortfall first; every scope
# stays in the CSV. Bounds the page's size and rendering time however many scopes there are.
MAX_SCOPES_IN_HTML = 40


@dataclass(frozen=True)
class ReportPaths:
    """Where one day's report landed; ``directory`` is the per-day folder holding both files."""

    html: Path
    csv: Path
    directory: Path


def write_daily_report(
    con: duckdb.DuckDBPyConnection,
    day: date,
    reports_dir: str | Path,
    time_zone: str,
    interval_minutes: int,
    title: str = "Staffing coverage",
    *,
    generated_at: datetime | None = None,
) -> ReportPaths:
    """Write ``<reports_dir>/<day>/coverage.html`` and ``coverage.csv``, replacing old ones.

    Everything is read in one snapshot of committed data and rendered in memory before
    either file is touched, so a failure while drawing leaves the previous report intact.
    A day without data still gets a report that says so: an absent file would be
    indistinguishable from a pipeline that never ran.
    ``time_zone`` and ``interval_minutes`` are the coverage grid's (the settings the coverage
    job ran with) and are checked as ``CoverageSettings``: an interval coverage cannot build
    raises ``CoverageSettingsError``. ``generated_at`` (UTC) is only there so tests can pin
    the header's time stamp.
    """
    return write_report(
        load_day(con, day),
        day,
        reports_dir,
        time_zone,
        interval_minutes,
        title,
        generated_at=generated_at,
    )


def write_report(
    data: DayData,
    day: date,
    reports_dir: str | Path,
    time_zone: str,
    interval_minutes: int,
    title: str = "Staffing coverage",
    *,
    generated_at: datetime | None = None,
) -> ReportPaths:
    """:func:`write_daily_report` for data already read (:func:`load_day`): the Dagster asset
    reads, closes its connection, then renders, so no database lock is held while drawing.

    The HTML is summary first and bounded: the :data:`MAX_SCOPES_IN_HTML` scopes with the
    largest shortfall (``load_summary``'s ranking) get summary rows, charts and heatmap rows;
    the heading says how many more there are, and the CSV keeps every scope and interval.
    """
    if interval_minutes <= 0:
        raise ValueError(f"interval_minutes must be > 0, got {interval_minutes}")
    expected = expected_intervals(day, time_zone, interval_minutes)
    generated = (generated_at or datetime.now(UTC)).astimezone(UTC)
    summary, points, left_out = shown_in_html(data)
    if left_out:
        title = (
            f"{title} (the {MAX_SCOPES_IN_HTML} scopes with the largest shortfall; "
            f"{left_out} more in coverage.csv)"
        )
    page = render_html(
        day=day,
        zone=ZoneInfo(time_zone),
        time_zone=time_zone,
        interval_minutes=interval_minutes,
        expected=expected,
        title=title,
        generated=generated,
        summary=summary,
        points=points,
        alerts=alert_lines(data.alerts, time_zone),
        finalization=finalization_context(data.basis, data.reconciliation),
    )
    table = render_csv(data.export)

    directory = Path(reports_dir) / day.isoformat()
    directory.mkdir(parents=True, exist_ok=True)
    paths = ReportPaths(
        html=directory / "coverage.html", csv=directory / "coverage.csv", directory=directory
    )
    write_atomic(paths.csv, table)
    write_atomic(paths.html, page)
    return paths


def shown_in_html(data: DayData) -> tuple[pd.DataFrame, list[Point], int]:
    """The summary rows and chart points the HTML shows, and how many scopes it leaves out.

    Rendering time and page size grow with the scopes drawn (a chart and a heatmap row each:
    1,500 scopes made a 67 MB page in 4 minutes), so at most :data:`MAX_SCOPES_IN_HTML` are.
    """
    keys = [str(k) for k in data.summary["scope_key"]] if "scope_key" in data.summary else []
    for point in data.points:  # scopes with points but no summary row come after, as drawn
        if point.scope_key not in keys:
            keys.append(point.scope_key)
    if len(keys) <= MAX_SCOPES_IN_HTML:
        return data.summary, data.points, 0
    kept = set(keys[:MAX_SCOPES_IN_HTML])
    summary = data.summary[data.summary["scope_key"].astype(str).isin(kept)]
    points = [p for p in data.points if p.scope_key in kept]
    return summary.reset_index(drop=True), points, len(keys) - len(kept)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` next to ``path`` and rename it over ``path`` in one step."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; reports are meant to be read by others
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
