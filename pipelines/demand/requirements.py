"""One day of demand requirements: read the cells (SQL), size each with Erlang A and C, write.

DuckDB gathers every input of the day in one query (``sql/demand/day_cells.sql``: the volume
on the grid, patience, handle time, concurrency, the forecast for cells still to come, the
agents on queue); Python only does what SQL cannot, the Erlang searches, one per row; the rows
go back in bulk, replacing the day in one transaction. Definitions: :mod:`pipelines.demand`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from pipelines.coverage.build import day_params
from pipelines.coverage.calendar import as_day, day_bounds
from pipelines.coverage.settings import CoverageSettings
from pipelines.demand.goals import Goal, goal_for
from pipelines.demand.settings import DemandSettings
from pipelines.demand.sizing import achieved_service_level, size_cell
from pipelines.warehouse import execute, registered, transaction
from pipelines.warehouse.sql import fetch_df

__all__ = ["OUTPUT_COLUMNS", "build_demand_requirements", "size_frame"]

# Columns of demand_requirements (migration 009), in the table's order.
OUTPUT_COLUMNS = (
    "day",
    "scope_key",
    "interval_start",
    "interval_end",
    "local_start",
    "is_forecast",
    "offered",
    "arrival_rate_per_hour",
    "answered",
    "abandoned",
    "aht_seconds",
    "channel",
    "concurrency",
    "effective_aht_seconds",
    "patience_seconds",
    "patience_abandons",
    "service_level_goal",
    "target_seconds",
    "max_occupancy",
    "required_erlang_a",
    "required_erlang_c",
    "required_agents",
    "source",
    "service_level_expected",
    "on_queue",
    "service_level_achieved",
    "computed_at",
)

# How far back a scope's earlier concurrency is looked up when its agents showed no capacity.
_PRIOR_CONCURRENCY_DAYS = 7


def _number(value: Any) -> float | None:
    """A float, or None for NULL / NaN (pandas turns SQL NULL into NaN or NA)."""
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def size_frame(
    cells: pd.DataFrame,
    demand: DemandSettings,
    day: date,
    now: datetime,
    goals: Mapping[str, Goal] | None = None,
) -> pd.DataFrame:
    """The demand_requirements rows of the cells ``day_cells.sql`` returned; each scope sized
    to its goal (``goals``, from the forecast file, else the settings')."""
    out: list[dict[str, Any]] = []
    for row in cells.to_dict("records"):
        goal = goal_for(row["scope_key"], goals or {}, demand)
        offered = _number(row["offered"]) or 0.0
        seconds = float(row["cell_seconds"])
        aht = _number(row["aht_seconds"])
        concurrency = _number(row["concurrency"]) or 1.0
        effective = None if aht is None else aht / concurrency
        patience = _number(row["patience_seconds"])
        sizing = size_cell(
            offered,
            seconds,
            effective,
            patience,
            goal.service_level,
            goal.target_seconds,
            goal.max_occupancy,
        )
        prefix = "profile" if row["is_forecast"] else "kore"
        on_queue = None if row["is_forecast"] else _number(row["on_queue"])
        out.append(
            {
                "day": day,
                "scope_key": row["scope_key"],
                "interval_start": row["interval_start"],
                "interval_end": row["interval_end"],
                "local_start": row["local_start"],
                "is_forecast": bool(row["is_forecast"]),
                "offered": offered,
                "arrival_rate_per_hour": offered * 3600.0 / seconds,
                "answered": _number(row["answered"]),
                "abandoned": _number(row["abandoned"]),
                "aht_seconds": aht,
                "channel": row["channel"] if isinstance(row["channel"], str) else None,
                "concurrency": concurrency,
                "effective_aht_seconds": effective,
                "patience_seconds": patience,
                "patience_abandons": _number(row["patience_abandons"]),
                "service_level_goal": goal.service_level,
                "target_seconds": goal.target_seconds,
                "max_occupancy": goal.max_occupancy,
                "required_erlang_a": sizing.required_erlang_a,
                "required_erlang_c": sizing.required_erlang_c,
                "required_agents": sizing.required_agents,
                "source": None if sizing.model is None else f"{prefix}_{sizing.model}",
                "service_level_expected": sizing.service_level_expected,
                "on_queue": on_queue,
                "service_level_achieved": achieved_service_level(
                    on_queue, offered, seconds, effective, patience, goal.target_seconds
                ),
                "computed_at": now,
            }
        )
    frame = pd.DataFrame(out, columns=list(OUTPUT_COLUMNS))
    for column in ("required_erlang_a", "required_erlang_c"):
        frame[column] = frame[column].astype("Int64")
    return frame


def build_demand_requirements(
    con: duckdb.DuckDBPyConnection,
    day: date | str,
    grid: CoverageSettings,
    demand: DemandSettings,
    now: datetime,
    goals: Mapping[str, Goal] | None = None,
) -> int:
    """Replace the day's demand_requirements (one transaction); return the rows written.

    Each scope is sized to its goal in ``goals`` (:func:`pipelines.demand.goals.scope_goals`
    of the forecast file), else to the settings' goal.

    Reads contact_volume, the day's demand_forecast (build it first for cells still to come),
    agent_status_spans and channel_capacity (concurrency) and coverage_intervals (agents on
    queue, for the achieved service level) when the day's coverage was built.
    """
    day = as_day(day)
    history_start, _ = day_bounds(day - timedelta(weeks=demand.profile_weeks), grid.time_zone)
    params = day_params(day, grid) | {
        "history_start": history_start,
        "now": now,
        "prior_start": day_bounds(day - timedelta(days=_PRIOR_CONCURRENCY_DAYS), grid.time_zone)[0],
    }
    execute(con, "coverage/macros.sql")
    execute(con, "demand/macros.sql")
    cells = fetch_df(con, "demand/day_cells.sql", **params)
    frame = size_frame(cells, demand, day, now, goals)
    with registered(con, demand_requirements_input=frame), transaction(con):
        inserted = execute(con, "demand/requirements.sql", day=day)
    return inserted.get("demand_requirements", 0)
