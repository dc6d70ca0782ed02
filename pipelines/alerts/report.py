"""The report's alerts section: the day's episodes with every message and delivery attempt.

Read in the report's own snapshot (``pipelines/report/data.py`` calls :func:`load_alerts`),
prepared here as display strings; ``pipelines/report/templates/alerts.html.j2`` places them
(autoescaped: scope names and receivers' answers are outside text). No URL is ever in these
rows: destinations are shown by name and fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from pipelines.warehouse import fetch_all

__all__ = ["AlertLine", "alert_lines", "load_alerts"]

# The report's mark for "no value" (pipelines.report.formatting.NULL_MARK, which imports the
# report package, which imports this module: so repeated here).
NULL_MARK = "\u2014"


@dataclass(frozen=True)
class AlertLine:
    """One row of the section: an attempt, or a message not tried, or an episode alone."""

    scope: str
    scope_key: str
    alerted: str
    ended: str
    figures: str  # on-queue / required / net at opening, and the worst net
    threshold: str
    event: str
    destination: str
    status: str
    attempt: str
    outcome: str


def _time(at: datetime | None, zone: ZoneInfo) -> str:
    return NULL_MARK if at is None else at.astimezone(zone).strftime("%H:%M:%S")


def _n(value: float | None) -> str:
    return NULL_MARK if value is None else f"{value:g}"


def load_alerts(con: duckdb.DuckDBPyConnection, day: date) -> list[tuple[Any, ...]]:
    """The day's rows of ``sql/alerts/report_day.sql`` (none where the database predates the
    alert tables); :func:`alert_lines` shows them."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'alert_episodes'"
    ).fetchall()[0][0]
    return fetch_all(con, "alerts/report_day.sql", day=day) if found else []


def alert_lines(rows: list[tuple[Any, ...]], time_zone: str) -> list[AlertLine]:
    """The section's rows, times local to ``time_zone`` (the report's)."""
    zone = ZoneInfo(time_zone)
    lines = []
    for r in rows:
        (_, key, name, _, alerted, ended, threshold, short_in, on_queue, required, net,
         next_required, next_net, worst, event, destination, fingerprint, status, attempt,
         attempt_at, outcome, http_status, error) = r  # fmt: skip
        figures = f"{_n(on_queue)} on queue, required {_n(required)} (net {_n(net)})"
        if next_required is not None:
            figures += f"; next {_n(next_required)} (net {_n(next_net)})"
        figures += f"; worst net {_n(worst)}"
        shown = NULL_MARK
        if attempt is not None:
            shown = f"{outcome}{f' {http_status}' if http_status else ''}"
            shown += f": {error}" if error else ""
        lines.append(
            AlertLine(
                scope=name,
                scope_key=key,
                alerted=_time(alerted, zone),
                ended=_time(ended, zone) if ended else "open",
                figures=figures,
                threshold=f"{threshold}, short in {short_in}",
                event=event or NULL_MARK,
                destination=f"{destination} ({fingerprint[:8]})" if destination else "none",
                status=status or NULL_MARK,
                attempt=NULL_MARK if attempt is None else f"{attempt} at {_time(attempt_at, zone)}",
                outcome=shown,
            )
        )
    return lines
