"""Staffing coverage: how many agents were really there, interval by interval, against need.

Workforce-management analysts compare these figures with Amazon Connect's and Genesys
Cloud's, so every figure has one written definition, below, and the SQL in
``sql/coverage/*.sql`` implements exactly that (DuckDB does all the row work; pandas is only
used for the rules DataFrame coming in and the summary table going out).

Settings (:class:`CoverageSettings`)
    ``time_zone`` (AVAILABILITY_TIME_ZONE, IANA name), ``interval_minutes``
    (AVAILABILITY_INTERVAL_MINUTES: 5, 15, 30 or 60), ``max_gap_seconds``
    (AVAILABILITY_MAX_GAP_SECONDS, default 120 = 2 x the 60 s poll interval).

Partition
    One LOCAL calendar day in ``time_zone``: the UTC range [local midnight, next local
    midnight) (:func:`day_bounds`). A DST day lasts 23 or 25 hours: 92 or 100 quarter hours.

Observation points and windows
    Every successful poll (``raw_responses.outcome = 'ok'``) of scope S at ``observed_at`` = t
    is an observation point of S, even when it lists no agent; snapshot rows count only at
    such points. It opens the window
    [t, min(next successful poll of S, t + max_gap)). Time outside every window is
    UNOBSERVED and is left out of every average (never counted as zero agents). Two successful
    responses of one scope at the same instant are one observation point.

One status per agent per poll
    ``snapshots`` has one row per agent listed in a response; an agent listed in two buckets
    of one response (one scope, one instant) counts once, with the status chosen by
    precedence BUSY > AVAILABLE > AWAY > any other status (alphabetically) > OFFLINE. Status
    keys are compared exactly as received (custom statuses such as "BREAK" are kept). An agent
    in several skills or queues counts in each scope, never twice within one.

Agent status spans (``agent_status_spans``)
    Each observation of an agent with status s at t gives the span [t, end of t's window) with
    status s: it ends at the scope's next successful poll (if the agent is not listed there it
    left the scope or the roster) or after max_gap, whichever is first. Spans of one
    (scope, agent) with the same status that touch are merged. Spans are stored per day,
    clipped to the day's UTC bounds: a span across midnight appears in both days. Building a
    day therefore reads polls from day start - max_gap.

Coverage grid (``coverage_intervals``): every row of ``scopes`` x every interval of the day
    Intervals step ``interval_minutes`` in UTC from the day's UTC start (local midnight); DST
    shifts are whole hours, so these are local wall-clock boundaries too (in a zone whose
    shift is not a whole hour the last cell is cut short at the day end). ``local_start`` is
    the wall clock in ``time_zone``. Per cell:

    - ``observed_seconds``: length of the cell inside observation windows;
      ``observed_share`` = observed_seconds / cell seconds (completeness, 0..1).
    - ``avg_available``, ``avg_busy``, ``avg_away``, ``avg_offline``, ``avg_other`` (every
      other status together) = agent-seconds in that status / observed seconds: the
      time-weighted average head count over the observed part of the cell.
    - ``staffed`` = avg_available + avg_busy; ``occupancy`` = avg_busy / staffed (NULL when
      staffed = 0).
    - ``min_available`` / ``max_available``: the AVAILABLE head count at each observation point
      whose window overlaps the cell (a poll just before the cell whose window reaches into it
      counts).
    - ``zero_available_share``: share of the OBSERVED time of the cell with no agent AVAILABLE.
    - ``observations``: successful polls with t inside the cell.

    A cell with no observed time is present with observed_share 0 and NULL figures (never
    zeros). ``coverage_status_intervals`` holds the same averages in long form, one row per
    status seen in the cell (custom statuses included), with the agent-seconds.

Staffing requirements (``staffing_requirements``)
    Rules (from ``pipelines/requirements.py``) are in LOCAL wall time. A rule matches a cell
    when its scope_key is the cell's, its day_date is the cell's local date OR its weekday is
    the ISO weekday of that date, and start_minute <= local minute of day of the cell start
    < end_minute. The lowest priority wins; ties go to a dated rule over a weekday rule, then
    'target' over 'erlang_c', then the narrower, later-starting, larger rule. Cells without a
    rule have no row. On a spring-forward day the skipped hour has no cells; on a fall-back
    day both cells of the repeated hour match the same rule.

Coverage against requirement (``coverage_vs_requirement``, ``coverage_daily_summary``)
    Per cell: available = avg_available, gap = available - required, met = available >=
    required (NULL when the cell has no requirement or no observed time). Per (day, scope):
    intervals, intervals_observed (observed_share > 0), intervals_with_requirement,
    intervals_met, share_met = met / cells with both a requirement and an observation (NULL if
    none), shortfall_agent_hours = sum of max(required - available, 0) x cell hours (cells
    with both), worst_interval_start / worst_local_start / worst_gap = the smallest gap,
    earliest cell on ties, avg_available (mean over observed cells), avg_required (mean over
    cells with a requirement).

Every ``build_*`` replaces its day atomically: one transaction deletes the day's rows and
inserts the new ones, so a failure leaves the previous version in place.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pandas as pd

from pipelines import requirements
from pipelines.warehouse import execute, transaction
from pipelines.warehouse.sql import query

ALLOWED_INTERVAL_MINUTES = (5, 15, 30, 60)

# The rule columns the requirements SQL reads; the forecast inputs ride along for people only.
RULE_COLUMNS = tuple(
    column
    for column in requirements.RULE_COLUMNS
    if column not in ("contacts", "aht_seconds", "service_level", "target_seconds")
)

_RULES_VIEW = "coverage_rules_input"


class CoverageSettingsError(ValueError):
    """A coverage setting is invalid; the message names the environment variable."""


@dataclass(frozen=True)
class CoverageSettings:
    """How the coverage grid is cut; validated on creation so a bad value fails early."""

    time_zone: str = "UTC"
    interval_minutes: int = 15
    max_gap_seconds: float = 120.0

    def __post_init__(self) -> None:
        if not isinstance(self.time_zone, str) or not self.time_zone.strip():
            raise CoverageSettingsError(
                f"AVAILABILITY_TIME_ZONE must be an IANA time zone name, got {self.time_zone!r}"
            )
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CoverageSettingsError(
                f"AVAILABILITY_TIME_ZONE={self.time_zone!r} is not a known IANA time zone "
                "(e.g. 'UTC', 'America/New_York')"
            ) from None
        minutes = self.interval_minutes
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise CoverageSettingsError(
                f"AVAILABILITY_INTERVAL_MINUTES must be an integer, got {minutes!r}"
            )
        if minutes not in ALLOWED_INTERVAL_MINUTES:
            raise CoverageSettingsError(
                f"AVAILABILITY_INTERVAL_MINUTES must be one of {ALLOWED_INTERVAL_MINUTES}, "
                f"got {minutes}"
            )
        gap = self.max_gap_seconds
        if (
            isinstance(gap, bool)
            or not isinstance(gap, int | float)
            or not math.isfinite(gap)
            or gap <= 0
        ):
            raise CoverageSettingsError(
                f"AVAILABILITY_MAX_GAP_SECONDS must be a number of seconds > 0, got {gap!r}"
            )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> CoverageSettings:
        """Settings from AVAILABILITY_* variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, Any] = {}
        if env.get("AVAILABILITY_TIME_ZONE"):
            kwargs["time_zone"] = env["AVAILABILITY_TIME_ZONE"].strip()
        if env.get("AVAILABILITY_INTERVAL_MINUTES"):
            raw = env["AVAILABILITY_INTERVAL_MINUTES"].strip()
            try:
                kwargs["interval_minutes"] = int(raw)
            except ValueError:
                raise CoverageSettingsError(
                    f"AVAILABILITY_INTERVAL_MINUTES must be an integer, got {raw!r}"
                ) from None
        if env.get("AVAILABILITY_MAX_GAP_SECONDS"):
            raw = env["AVAILABILITY_MAX_GAP_SECONDS"].strip()
            try:
                kwargs["max_gap_seconds"] = float(raw)
            except ValueError:
                raise CoverageSettingsError(
                    f"AVAILABILITY_MAX_GAP_SECONDS must be a number of seconds, got {raw!r}"
                ) from None
        return cls(**kwargs)

    @property
    def max_gap(self) -> timedelta:
        return timedelta(seconds=self.max_gap_seconds)


@dataclass
class CheckOutcome:
    """Result of a data check; metadata holds plain JSON-able values for Dagster and reports."""

    passed: bool
    metadata: dict[str, Any]


# ---------------------------------------------------------------------------------------
# Days and intervals


def _as_day(day: date | str) -> date:
    """Partition keys arrive as dates or 'YYYY-MM-DD'; a datetime would hide a time zone."""
    if isinstance(day, datetime):
        raise TypeError(f"day must be a date, not a datetime: {day!r}")
    if isinstance(day, date):
        return day
    return date.fromisoformat(day)


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """UTC [start, end) of the local calendar day ``day`` in ``tz``.

    Local midnight is resolved with fold=0: where midnight is skipped this is the first
    instant of the day, where it repeats the first occurrence, so consecutive days tile time.
    """
    day = _as_day(day)
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def interval_count(day: date, settings: CoverageSettings) -> int:
    """Intervals in the day: 96 quarter hours, 92 on a spring-forward day, 100 on fall-back."""
    start, end = day_bounds(day, settings.time_zone)
    step = timedelta(minutes=settings.interval_minutes)
    return math.ceil((end - start) / step)


def _day_params(day: date, settings: CoverageSettings) -> dict[str, Any]:
    day = _as_day(day)
    start, end = day_bounds(day, settings.time_zone)
    return {
        "day": day,
        "day_start": start,
        "day_end": end,
        "lookback_start": start - settings.max_gap,
        "max_gap": settings.max_gap,
        "step_minutes": settings.interval_minutes,
        "intervals": interval_count(day, settings),
        "time_zone": settings.time_zone,
    }


# ---------------------------------------------------------------------------------------
# Running the SQL files


def _run_atomically(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> dict[str, int]:
    """Run a statement group in one transaction; return rows inserted per target table.

    Either every statement of the group takes effect or none does, so a crash or error in a
    rebuild leaves the previous rows of the day in place.
    """
    execute(con, "coverage/macros.sql")
    with transaction(con):
        return execute(con, name, **params)


def _query(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    execute(con, "coverage/macros.sql")
    cursor = query(con, name, **params)
    columns = [column[0] for column in cursor.description]
    return columns, cursor.fetchall()


# ---------------------------------------------------------------------------------------
# Builds


def build_spans(con: duckdb.DuckDBPyConnection, day: date, settings: CoverageSettings) -> int:
    """Replace the day's agent_status_spans; return the number of spans written."""
    inserted = _run_atomically(con, "coverage/spans.sql", _day_params(day, settings))
    return inserted["agent_status_spans"]


def build_coverage(con: duckdb.DuckDBPyConnection, day: date, settings: CoverageSettings) -> int:
    """Replace the day's coverage_intervals and coverage_status_intervals; return grid cells.

    Reads the day's agent_status_spans (build them first) and the poll windows.
    """
    inserted = _run_atomically(con, "coverage/intervals.sql", _day_params(day, settings))
    return inserted["coverage_intervals"]


def _rules_frame(rules: pd.DataFrame) -> pd.DataFrame:
    """The rule columns only; an empty frame gets untyped columns DuckDB can cast."""
    missing = [column for column in RULE_COLUMNS if column not in rules.columns]
    if missing:
        raise ValueError(f"requirement rules lack columns {missing}; expected {list(RULE_COLUMNS)}")
    if rules.empty:
        return pd.DataFrame({column: pd.Series([], dtype=object) for column in RULE_COLUMNS})
    return rules.loc[:, list(RULE_COLUMNS)]


def build_requirements(
    con: duckdb.DuckDBPyConnection,
    day: date,
    settings: CoverageSettings,
    rules: pd.DataFrame,
) -> int:
    """Replace the day's staffing_requirements from the rules; return the cells with one.

    The rules are registered as a temporary view for the duration of the rebuild; a column
    that cannot be cast (e.g. text in start_minute) fails the rebuild and rolls it back.
    """
    frame = _rules_frame(rules)
    con.register(_RULES_VIEW, frame)
    try:
        inserted = _run_atomically(con, "coverage/requirements.sql", _day_params(day, settings))
    finally:
        con.unregister(_RULES_VIEW)
    return inserted["staffing_requirements"]


def build_coverage_vs_requirement(
    con: duckdb.DuckDBPyConnection, day: date, settings: CoverageSettings
) -> int:
    """Replace the day's coverage_vs_requirement and coverage_daily_summary; return cells.

    Reads coverage_intervals and staffing_requirements of the day (build them first).
    """
    inserted = _run_atomically(con, "coverage/vs_requirement.sql", _day_params(day, settings))
    return inserted["coverage_vs_requirement"]


# ---------------------------------------------------------------------------------------
# Checks


def _iso(value: Any) -> Any:
    """Timestamps as ISO text, floats rounded: metadata stays JSON-able and readable."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


def _markdown(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append(
            "| " + " | ".join("" if row[k] is None else str(row[k]) for k in header) + " |"
        )
    return "\n".join(lines)


def check_spans_no_overlap(con: duckdb.DuckDBPyConnection, day: date) -> CheckOutcome:
    """No (scope, agent) holds two spans at once: an overlap would count an agent twice."""
    day = _as_day(day)
    _, rows = _query(con, "coverage/check_spans_overlap.sql", {"day": day})
    pairs = sorted({(scope, agent) for scope, agent, *_ in rows})
    examples = [
        f"{scope} {agent} {status} {start.isoformat()}..{end.isoformat()} "
        f"starts before an earlier span ends at {previous.isoformat()}"
        for scope, agent, status, start, end, previous in rows[:5]
    ]
    return CheckOutcome(
        passed=not rows,
        metadata={
            "day": day.isoformat(),
            "overlapping_pairs": len(pairs),
            "overlapping_spans": len(rows),
            "examples": examples,
        },
    )


def check_grid_complete(
    con: duckdb.DuckDBPyConnection, day: date, settings: CoverageSettings
) -> CheckOutcome:
    """Every scope x interval of the day is present exactly once in coverage_intervals."""
    params = _day_params(day, settings)
    columns, rows = _query(con, "coverage/check_grid.sql", params)
    found = dict(zip(columns, rows[0], strict=True))
    passed = (
        found["missing_cells"] == 0
        and found["duplicated_cells"] == 0
        and found["extra_cells"] == 0
        and found["actual_rows"] == found["expected_cells"]
    )
    metadata = {
        "day": params["day"].isoformat(),
        "intervals_per_scope": params["intervals"],
        "expected_cells": int(found["expected_cells"]),
        "actual_rows": int(found["actual_rows"]),
        "missing_cells": int(found["missing_cells"]),
        "duplicated_cells": int(found["duplicated_cells"]),
        "extra_cells": int(found["extra_cells"]),
        "missing_examples": list(found["missing_examples"] or []),
    }
    return CheckOutcome(passed=passed, metadata=metadata)


def check_completeness(
    con: duckdb.DuckDBPyConnection, day: date, threshold: float = 0.9
) -> CheckOutcome:
    """Cells observed for less than ``threshold`` of their length (a warning, not an error).

    Low completeness means polls failed or were deferred; the averages still hold for the
    observed part, but analysts should know how much of the cell they rest on. Passes only
    when the day has cells and none is below the threshold; ``worst_cells`` lists up to ten.
    """
    day = _as_day(day)
    _, rows = _query(
        con, "coverage/check_completeness.sql", {"day": day, "threshold": float(threshold)}
    )
    below = [row for row in rows if row[4]]
    worst = [
        {
            "scope_key": scope,
            "local_start": local_start.strftime("%Y-%m-%d %H:%M"),
            "observed_share": _iso(float(share)),
        }
        for scope, _, local_start, share, _ in below[:10]
    ]
    return CheckOutcome(
        passed=bool(rows) and not below,
        metadata={
            "day": day.isoformat(),
            "threshold": float(threshold),
            "cells": len(rows),
            "cells_below": len(below),
            "share_below": _iso(len(below) / len(rows)) if rows else None,
            "worst_cells": worst,
            "worst_cells_markdown": _markdown(worst),
        },
    )


def check_coverage_target(
    con: duckdb.DuckDBPyConnection, day: date, max_unmet_share: float = 0.2
) -> CheckOutcome:
    """Scopes whose share of unmet intervals (of those judged) exceeds ``max_unmet_share``.

    Judged cells have both a requirement and observed time; a scope with none cannot fail.
    ``worst_intervals`` lists up to ten unmet cells of the failing scopes, largest gap first.
    """
    day = _as_day(day)
    _, rows = _query(con, "coverage/check_target.sql", {"day": day})
    by_scope = []
    failing = []
    worst: list[dict[str, Any]] = []
    for scope, judged, unmet, share, cells in rows:
        by_scope.append(
            {
                "scope_key": scope,
                "judged": int(judged),
                "unmet": int(unmet),
                "unmet_share": _iso(None if share is None else float(share)),
            }
        )
        if share is not None and share > max_unmet_share:
            failing.append(scope)
            for cell in (cells or [])[:5]:
                worst.append(
                    {
                        "scope_key": scope,
                        "local_start": cell["local_start"],
                        "required": _iso(cell["required"]),
                        "available": _iso(cell["available"]),
                        "gap": _iso(cell["gap"]),
                    }
                )
    worst.sort(key=lambda cell: (cell["gap"], cell["scope_key"], cell["local_start"]))
    worst = worst[:10]
    return CheckOutcome(
        passed=not failing,
        metadata={
            "day": day.isoformat(),
            "max_unmet_share": float(max_unmet_share),
            "scopes_judged": sum(1 for row in by_scope if row["judged"] > 0),
            "failing_scopes": failing,
            "by_scope": by_scope,
            "worst_intervals": worst,
            "worst_intervals_markdown": _markdown(worst),
        },
    )


def summary_table(con: duckdb.DuckDBPyConnection, day: date) -> pd.DataFrame:
    """Per scope: scope_key, name, avg_available, avg_required, share_met, shortfall hours."""
    day = _as_day(day)
    columns, rows = _query(con, "coverage/summary_table.sql", {"day": day})
    return pd.DataFrame.from_records(rows, columns=columns)
