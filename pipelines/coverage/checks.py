"""Data checks on one day of coverage: each is one function here plus one query in sql/checks/.

A check runs its query (``check_<name>`` reads ``sql/checks/<name>.sql``), decides pass or
fail in Python and returns a :class:`CheckOutcome` whose metadata is plain JSON-able values,
so Dagster and the report can show it as is. A ``<key>_markdown`` entry is the same list
rendered as a Markdown table for people. Adding a check needs no list edited here: write
the SQL file and the function, and declare its Dagster check beside the asset it checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from pipelines.coverage.build import day_params, query_rows
from pipelines.coverage.calendar import as_day
from pipelines.coverage.settings import CoverageSettings
from pipelines.markdown import markdown_table

__all__ = [
    "CheckOutcome",
    "check_completeness",
    "check_coverage_target",
    "check_grid_complete",
    "check_spans_no_overlap",
]


@dataclass
class CheckOutcome:
    """Result of a data check; metadata holds plain JSON-able values for Dagster and reports."""

    passed: bool
    metadata: dict[str, Any]


def _iso(value: Any) -> Any:
    """Timestamps as ISO text, floats rounded: metadata stays JSON-able and readable."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


def check_spans_no_overlap(con: duckdb.DuckDBPyConnection, day: date) -> CheckOutcome:
    """No (scope, agent) holds two spans at once: an overlap would count an agent twice."""
    day = as_day(day)
    _, rows = query_rows(con, "checks/spans_no_overlap.sql", {"day": day})
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
    params = day_params(day, settings)
    columns, rows = query_rows(con, "checks/grid_complete.sql", params)
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
    con: duckdb.DuckDBPyConnection,
    day: date,
    threshold: float = 0.9,
    now: datetime | None = None,
) -> CheckOutcome:
    """Cells observed for less than ``threshold`` of their length (a warning, not an error).

    Low completeness means polls failed or were deferred; the averages still hold for the
    observed part, but analysts should know how much of the cell they rest on. Only cells
    that ended by ``now`` (default: the current time) are judged: later cells of today cannot
    be complete yet. Passes only when the day has such cells and none is below the threshold;
    ``worst_cells`` lists up to ten.
    """
    day = as_day(day)
    now = datetime.now(UTC) if now is None else now
    _, rows = query_rows(
        con,
        "checks/completeness.sql",
        {"day": day, "threshold": float(threshold), "now": now},
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
            "worst_cells_markdown": markdown_table(worst, empty=""),
        },
    )


def check_coverage_target(
    con: duckdb.DuckDBPyConnection, day: date, max_unmet_share: float = 0.2
) -> CheckOutcome:
    """Scopes whose share of unmet intervals (of those judged) exceeds ``max_unmet_share``.

    A cell is unmet when its on-queue agents (AVAILABLE + productive BUSY) fall below the
    on-queue requirement. Judged cells have a requirement and observed time and are not in
    the future; a scope with none cannot fail. ``worst_intervals`` lists up to ten unmet cells
    of the failing scopes, most negative net staffing first, with the idle available agents.
    """
    day = as_day(day)
    _, rows = query_rows(con, "checks/coverage_target.sql", {"day": day})
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
                        "on_queue": _iso(cell["on_queue"]),
                        "idle_available": _iso(cell["idle_available"]),
                        "net_staffing": _iso(cell["net_staffing"]),
                    }
                )
    worst.sort(key=lambda cell: (cell["net_staffing"], cell["scope_key"], cell["local_start"]))
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
            "worst_intervals_markdown": markdown_table(worst, empty=""),
        },
    )
