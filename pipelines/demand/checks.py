"""Data checks on one day of demand, each one function here plus one query in sql/checks/
(the pattern of :mod:`pipelines.coverage.checks`, whose :class:`CheckOutcome` they return)."""

from __future__ import annotations

from datetime import date

import duckdb

from pipelines.coverage.build import day_params, query_rows
from pipelines.coverage.calendar import as_day
from pipelines.coverage.checks import CheckOutcome
from pipelines.coverage.settings import CoverageSettings
from pipelines.demand.settings import RATIO_MAX, RATIO_MIN

__all__ = ["check_demand_sized", "check_forecast_grid"]


def check_forecast_grid(
    con: duckdb.DuckDBPyConnection, day: date, grid: CoverageSettings
) -> CheckOutcome:
    """Every forecast scope has each grid cell of the day exactly once, and every reforecast
    ratio lies within [RATIO_MIN, RATIO_MAX]."""
    params = day_params(day, grid) | {"ratio_min": RATIO_MIN, "ratio_max": RATIO_MAX}
    columns, rows = query_rows(con, "checks/demand_forecast_grid.sql", params)
    found = dict(zip(columns, rows[0], strict=True))
    passed = (
        found["missing_cells"] == 0
        and found["duplicated_cells"] == 0
        and found["ratios_out_of_bounds"] == 0
    )
    return CheckOutcome(passed=passed, metadata={"day": as_day(day).isoformat(), **found})


def check_demand_sized(con: duckdb.DuckDBPyConnection, day: date) -> CheckOutcome:
    """Every cell with contacts got a requirement (an unsized cell had no handle time: its
    contacts were all abandoned and the day and the forecast knew no AHT either)."""
    day = as_day(day)
    _, rows = query_rows(con, "checks/demand_unsized.sql", {"day": day})
    examples = [
        f"{scope} {start.isoformat()} offered {offered}{' (forecast)' if forecast else ''}"
        for scope, start, offered, forecast in rows[:5]
    ]
    return CheckOutcome(
        passed=not rows,
        metadata={"day": day.isoformat(), "unsized_cells": len(rows), "examples": examples},
    )
