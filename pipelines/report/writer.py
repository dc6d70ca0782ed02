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

from pipelines.report.axis import expected_intervals
from pipelines.report.csv_export import render_csv
from pipelines.report.data import load_day
from pipelines.report.render import render_html

__all__ = ["ReportPaths", "write_daily_report"]


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
    if interval_minutes <= 0:
        raise ValueError(f"interval_minutes must be > 0, got {interval_minutes}")
    expected = expected_intervals(day, time_zone, interval_minutes)
    generated = (generated_at or datetime.now(UTC)).astimezone(UTC)

    data = load_day(con, day)
    page = render_html(
        day=day,
        zone=ZoneInfo(time_zone),
        time_zone=time_zone,
        interval_minutes=interval_minutes,
        expected=expected,
        title=title,
        generated=generated,
        summary=data.summary,
        points=data.points,
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
