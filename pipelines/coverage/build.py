"""The per-day rebuilds: spans, the coverage grid, requirements, coverage against requirement.

Each build runs one SQL file of ``sql/coverage/`` for one local day (the figures are defined
in the package docstring, :mod:`pipelines.coverage`) and replaces the day atomically: one
transaction deletes the day's rows and inserts the new ones, so a failure leaves the previous
version in place.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pandas as pd

from pipelines.coverage import requirements, schedules
from pipelines.coverage.calendar import as_day, day_bounds, interval_count
from pipelines.coverage.settings import CoverageSettings
from pipelines.warehouse import execute, fetch_all, transaction
from pipelines.warehouse.sql import query

__all__ = [
    "RULE_COLUMNS",
    "build_coverage",
    "build_coverage_vs_requirement",
    "build_requirements",
    "build_schedules",
    "build_spans",
    "day_params",
    "query_rows",
    "summary_table",
]

# The rule columns the requirements SQL reads; the forecast inputs ride along for people only.
RULE_COLUMNS = tuple(
    column
    for column in requirements.RULE_COLUMNS
    if column not in ("contacts", "aht_seconds", "service_level", "target_seconds")
)
# Rule columns a rules source may leave out (read as NULL): not every source knows a planned
# shrinkage or an expected service level (targets know neither).
OPTIONAL_RULE_COLUMNS = ("scheduled_required", "service_level_expected")
SCHEDULE_COLUMNS = tuple(schedules.SCHEDULE_COLUMNS)

_RULES_VIEW = "coverage_rules_input"
_SCHEDULES_VIEW = "coverage_schedules_input"


def day_params(
    day: date | str, settings: CoverageSettings, now: datetime | None = None
) -> dict[str, Any]:
    """Every parameter the coverage SQL files take for one day (each file binds what it uses);
    ``now`` (default: the current time) is when the build happens."""
    day = as_day(day)
    start, end = day_bounds(day, settings.time_zone)
    now = datetime.now(UTC) if now is None else now
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return {
        "day": day,
        "day_start": start,
        "day_end": end,
        "lookback_start": start - settings.max_gap,
        "max_gap": settings.max_gap,
        "step_minutes": settings.interval_minutes,
        "intervals": interval_count(day, settings),
        "time_zone": settings.time_zone,
        "nonproductive_busy": list(settings.nonproductive_busy),
        "now": now,
    }


def _run_atomically(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any], *more: str
) -> dict[str, int]:
    """Run one or more statement groups in one transaction; return rows inserted per target
    table (summed over the groups).

    Either every statement takes effect or none does, so a crash or error in a rebuild leaves
    the previous rows of the day in place.
    """
    execute(con, "coverage/macros.sql")
    inserted: dict[str, int] = {}
    with transaction(con):
        for each in (name, *more):
            for table, rows in execute(con, each, **params).items():
                inserted[table] = inserted.get(table, 0) + rows
    return inserted


def query_rows(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of one query file, with the coverage macros defined first."""
    execute(con, "coverage/macros.sql")
    cursor = query(con, name, **params)
    columns = [column[0] for column in cursor.description]
    return columns, cursor.fetchall()


def build_spans(
    con: duckdb.DuckDBPyConnection,
    day: date,
    settings: CoverageSettings,
    now: datetime | None = None,
) -> int:
    """Replace the day's agent_status_spans; return the number of spans the day holds.

    Spans come from polls (spans.sql); the scopes the day is finalized for (its exact history
    is complete and their members are known) take the exact spans instead
    (spans_history.sql), and coverage_bases records each scope's basis.
    """
    params = day_params(day, settings, now)
    _run_atomically(con, "coverage/spans.sql", params, "coverage/spans_history.sql")
    ((spans,),) = fetch_all(con, "coverage/day_spans.sql", day=params["day"])
    return int(spans)


def build_coverage(
    con: duckdb.DuckDBPyConnection,
    day: date,
    settings: CoverageSettings,
    now: datetime | None = None,
) -> int:
    """Replace the day's coverage_intervals, coverage_status_intervals and
    coverage_reconciliation; return grid cells.

    Reads the day's agent_status_spans and coverage_bases (build them first) and the poll
    windows; cells starting at or after ``now`` are left out of the reconciliation.
    """
    params = day_params(day, settings, now)
    inserted = _run_atomically(con, "coverage/intervals.sql", params, "coverage/reconcile.sql")
    return inserted["coverage_intervals"]


def _input_frame(
    frame: pd.DataFrame, columns: tuple[str, ...], optional: tuple[str, ...], what: str
) -> pd.DataFrame:
    """The given columns only (optional ones filled with NULL when absent); an empty frame
    gets untyped columns DuckDB can cast."""
    frame = frame.assign(**{column: None for column in optional if column not in frame.columns})
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} lack columns {missing}; expected {list(columns)}")
    if frame.empty:
        return pd.DataFrame({column: pd.Series([], dtype=object) for column in columns})
    return frame.loc[:, list(columns)]


def _rules_frame(rules: pd.DataFrame) -> pd.DataFrame:
    return _input_frame(rules, RULE_COLUMNS, OPTIONAL_RULE_COLUMNS, "requirement rules")


def build_requirements(
    con: duckdb.DuckDBPyConnection,
    day: date,
    settings: CoverageSettings,
    rules: pd.DataFrame,
) -> int:
    """Replace the day's staffing_requirements from the rules and the day's computed demand
    (``demand_requirements``, below every file rule); return the cells with a requirement.

    The rules are registered as a temporary view for the duration of the rebuild; a column
    that cannot be cast (e.g. text in start_minute) fails the rebuild and rolls it back.
    """
    frame = _rules_frame(rules)
    con.register(_RULES_VIEW, frame)
    try:
        params = day_params(day, settings) | {
            "kore_priority": requirements.KORE_PRIORITY,
            "profile_priority": requirements.PROFILE_PRIORITY,
        }
        inserted = _run_atomically(con, "coverage/requirements.sql", params)
    finally:
        con.unregister(_RULES_VIEW)
    return inserted["staffing_requirements"]


def build_schedules(
    con: duckdb.DuckDBPyConnection,
    day: date,
    settings: CoverageSettings,
    rows: pd.DataFrame,
) -> int:
    """Replace the day's staffing_schedules from the schedule rows (columns
    :data:`SCHEDULE_COLUMNS`, :func:`pipelines.coverage.schedules.load_schedules`; an empty
    frame when no schedules file is configured); return the cells with a schedule."""
    frame = _input_frame(rows, SCHEDULE_COLUMNS, (), "schedule rows")
    con.register(_SCHEDULES_VIEW, frame)
    try:
        inserted = _run_atomically(con, "coverage/schedules.sql", day_params(day, settings))
    finally:
        con.unregister(_SCHEDULES_VIEW)
    return inserted["staffing_schedules"]


def build_coverage_vs_requirement(
    con: duckdb.DuckDBPyConnection,
    day: date,
    settings: CoverageSettings,
    now: datetime | None = None,
) -> int:
    """Replace the day's coverage_vs_requirement and coverage_daily_summary; return cells.

    Reads coverage_intervals, staffing_requirements and staffing_schedules of the day (build
    them first). Cells starting at or after ``now`` (default: the current time) are future
    cells: marked ``is_future`` and never judged.
    """
    params = day_params(day, settings, now)
    inserted = _run_atomically(con, "coverage/vs_requirement.sql", params)
    return inserted["coverage_vs_requirement"]


def summary_table(con: duckdb.DuckDBPyConnection, day: date) -> pd.DataFrame:
    """Per scope: scope_key, name, avg_available (idle), avg_required, share_met, shortfall
    hours, avg_on_queue, avg_net_staffing, intervals judged and met, surplus hours."""
    day = as_day(day)
    columns, rows = query_rows(con, "coverage/summary_table.sql", {"day": day})
    return pd.DataFrame.from_records(rows, columns=columns)
