"""What the report reads: one day's summary, chart series and CSV rows, from one snapshot.

Every query is a named file under ``sql/report/`` run through the project's one SQL runner,
so an analyst can run the same SELECT by hand and get the figures the report shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pandas as pd

from pipelines.alerts.report import load_alerts
from pipelines.coverage.finalized import DayBasis, day_basis, reconciliation
from pipelines.report.formatting import num
from pipelines.warehouse import fetch_all, fetch_df

__all__ = ["DayData", "Point", "load_day", "load_summary"]


@dataclass(frozen=True)
class Point:
    """One scope x interval of coverage_vs_requirement (see ``sql/report/series.sql``).

    ``required`` is required ON-QUEUE agents (before shrinkage), judged against ``on_queue``
    (available + productive busy); ``available`` is the idle available count (spare capacity);
    ``net_staffing`` = on_queue - required. ``is_future``: the interval was still ahead when
    coverage was built, so its requirement is a forecast and it has no actual figures.
    """

    scope_key: str
    name: str
    interval_start: datetime
    local_start: datetime | None
    required: float | None
    staffed: float | None
    available: float | None
    gap: float | None
    met: bool | None
    observed_share: float | None
    on_queue: float | None = None
    logged_in: float | None = None
    scheduled: float | None = None
    net_staffing: float | None = None
    requirement_source: str | None = None
    is_future: bool = False
    service_level: float | None = None  # the requirement's expected service level (share)
    occupancy: float | None = None  # busy / staffed (share)
    busy_capacity_known: float | None = None  # share of BUSY time with capacity data

    @property
    def judged(self) -> bool:
        """Counted in the day's averages: a requirement, observed time, not in the future."""
        return (
            self.required is not None
            and self.on_queue is not None
            and (self.observed_share or 0) > 0
            and not self.is_future
        )


@dataclass(frozen=True)
class DayData:
    """Everything one day's report shows, read in one snapshot."""

    summary: pd.DataFrame  # ranked by shortfall, as load_summary returns it
    points: list[Point]  # every scope x interval, ordered by scope then time
    export: list[tuple[Any, ...]]  # the CSV rows, in csv_export.CSV_COLUMNS order
    alerts: list[tuple[Any, ...]] = field(default_factory=list)  # pipelines.alerts.report
    basis: DayBasis | None = None  # finalized (exact history) or provisional (polls)
    reconciliation: pd.DataFrame | None = None  # completeness and polls vs exact, per scope


def load_summary(con: duckdb.DuckDBPyConnection, day: date) -> pd.DataFrame:
    """Per-scope summary of ``day`` ranked by shortfall, with scope names.

    Exposed so the Dagster asset can attach ``summary_markdown(load_summary(...))`` as metadata
    without rendering the whole report.
    """
    return fetch_df(con, "report/summary.sql", day=day)


def load_day(con: duckdb.DuckDBPyConnection, day: date) -> DayData:
    """The summary, the chart series and the CSV rows of ``day`` from one snapshot."""
    with _snapshot(con) as cursor:
        return DayData(
            summary=load_summary(cursor, day),
            points=_load_points(cursor, day),
            export=fetch_all(cursor, "report/export.sql", day=day),
            alerts=load_alerts(cursor, day),
            basis=day_basis(cursor, day),
            reconciliation=reconciliation(cursor, day),
        )


@contextmanager
def _snapshot(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor reading the HTML's and the CSV's figures from one snapshot.

    The coverage job replaces a day's partition in its own transaction; without one read
    transaction a rebuild landing between two queries could make the CSV and the HTML
    disagree. A cursor has a transaction of its own, so the caller's connection state
    (including any open transaction) is never touched; it sees committed data only.
    """
    cursor = con.cursor()
    try:
        cursor.execute("SET TimeZone = 'UTC'")
        cursor.execute("BEGIN TRANSACTION")
        yield cursor
        cursor.execute("ROLLBACK")  # read-only: nothing to keep
    finally:
        cursor.close()


def _load_points(con: duckdb.DuckDBPyConnection, day: date) -> list[Point]:
    rows = fetch_all(con, "report/series.sql", day=day)
    return [
        Point(
            scope_key=r[0],
            name=r[1],
            interval_start=r[2].astimezone(UTC),
            local_start=r[3],
            required=num(r[4]),
            staffed=num(r[5]),
            available=num(r[6]),
            gap=num(r[7]),
            met=r[8],
            observed_share=num(r[9]),
            on_queue=num(r[10]),
            # idle available is avg_available: r[11] repeats r[6] under its net-staffing name
            logged_in=num(r[12]),
            scheduled=num(r[13]),
            net_staffing=num(r[14]),
            requirement_source=r[15],
            is_future=bool(r[16]),
            service_level=num(r[17]),
            occupancy=num(r[18]),
            busy_capacity_known=num(r[19]),
        )
        for r in rows
    ]
