"""The profile forecast of one local day, with the intraday reforecast when the day is today.

Kept in SQL (``sql/demand/forecast.sql``): DuckDB averages weeks of 15-minute volume rows in
one pass, and the grid, the weekday and the DST rules are the coverage grid's. The method is
defined in :mod:`pipelines.demand`; this module only works out the parameters: which history
days, whether the day is today (only today is reforecast), and the ratio's bounds.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from pipelines.coverage.build import day_params
from pipelines.coverage.calendar import as_day, day_bounds, local_date
from pipelines.coverage.settings import CoverageSettings
from pipelines.demand.settings import RATIO_MAX, RATIO_MIN, DemandSettings
from pipelines.warehouse import execute, transaction

__all__ = ["build_forecast", "forecast_params"]


def forecast_params(
    day: date | str, grid: CoverageSettings, demand: DemandSettings, now: datetime
) -> dict[str, Any]:
    """Every parameter of ``demand/forecast.sql`` for one day forecast at ``now``."""
    day = as_day(day)
    first_day = day - timedelta(weeks=demand.profile_weeks)
    history_start, _ = day_bounds(first_day, grid.time_zone)
    history_end, _ = day_bounds(day, grid.time_zone)
    return day_params(day, grid) | {
        "first_day": first_day,
        "history_start": history_start,
        "history_end": history_end,
        "now": now,
        "reforecast": local_date(now, grid.time_zone) == day,
        "ratio_min": RATIO_MIN,
        "ratio_max": RATIO_MAX,
    }


def build_forecast(
    con: duckdb.DuckDBPyConnection,
    day: date | str,
    grid: CoverageSettings,
    demand: DemandSettings,
    now: datetime,
) -> int:
    """Replace the day's demand_forecast (one transaction); return the cells forecast.

    Reads contact_volume of the ``profile_weeks`` same weekdays before the day and, for today,
    the day's own completed cells; scopes come from the scopes table (the coverage grid).
    """
    execute(con, "coverage/macros.sql")
    execute(con, "demand/macros.sql")
    with transaction(con):
        inserted = execute(con, "demand/forecast.sql", **forecast_params(day, grid, demand, now))
    return inserted["demand_forecast"]
