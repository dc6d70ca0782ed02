"""Staffing requirements: the targets and forecast files, turned into one rules table.

Net staffing is "agents on queue - agents required on queue" per scope and interval, and
"required" comes from one of two places a planner already has: a targets file stating
head-counts outright, or a forecast file stating expected contacts, from which Erlang C
derives the head-count. Both are optional; :mod:`pipelines.coverage.requirements_files`
describes their format and reads and checks them. This module turns their rows into rules (one
row per scope, day and local minutes, with the head-count and where it came from) that
``build_requirements`` matches to the grid cells.

Every ``required_agents`` is an ON-QUEUE requirement, before shrinkage: the agents that must
be available or handling contacts during the interval. A target is read that way too (write
the on-queue head-count, not scheduled heads). A forecast row's Erlang C figure is the
smallest N meeting its service level and occupancy cap; its ``shrinkage`` cell (planned:
breaks, training, absence) only turns N into the heads to schedule, ``scheduled_required`` =
ceil(N / (1 - shrinkage)) (NULL when the row states no shrinkage), because shrinkage is
applied to scheduled heads, never to the on-queue count. ``service_level_expected`` is the
Erlang C service level N agents give (NULL for targets).

Precedence, for one (scope, local date, local minute), lowest :func:`rule_priority` wins:

0. a target for that date
1. a target for that weekday
2. an Erlang C figure for that date
3. an Erlang C figure for that weekday

An explicit target beats a forecast because a planner who writes a head-count down has usually
overridden the model on purpose (minimum staffing, a closed line set to 0); a dated rule beats
a weekday rule of the same source because dates are how exceptions are written. Two rules of
the same source cannot tie: overlapping rows of one file are rejected when it is read.

Rules are in local wall time, as planners write them. On a spring-forward day the skipped local
hour has no grid cells, so its rules apply to nothing; on a fall-back day the repeated hour has
two sets of grid cells with the same local minutes, and both match the rule.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.coverage import erlang
from pipelines.coverage.calendar import INTERVAL_MINUTES_CHOICES
from pipelines.coverage.requirements_files import (
    FORECAST_SETTING,
    TARGETS_SETTING,
    RequirementsFileError,
    cell_error,
    read_forecast,
    read_targets,
)

__all__ = [
    "FORECAST_SETTING",
    "RULE_COLUMNS",
    "RequirementsFileError",
    "TARGETS_SETTING",
    "load_forecast",
    "load_requirements",
    "load_targets",
    "rule_priority",
]

SOURCE_TARGET = "target"
# The forecast file sized by Erlang C. Sources computed from Kore's demand or a profile
# forecast ('kore_erlang_a', 'kore_erlang_c', 'profile_erlang_a') rank after it.
SOURCE_ERLANG = "forecast_erlang_c"

RULE_COLUMNS = [
    "scope_key",
    "day_date",
    "weekday",
    "start_minute",
    "end_minute",
    "required_agents",
    "source",
    "contacts",
    "aht_seconds",
    "service_level",
    "target_seconds",
    "priority",
    "scheduled_required",
    "service_level_expected",
]


def rule_priority(source: str, is_date_rule: bool) -> int:
    """Rank of a rule for one (scope, date, minute); lower wins. See the module docstring.

    A function rather than a convention: the loader stores it in the ``priority`` column,
    which the SQL join of ``build_requirements`` ranks by, so there is one definition.
    """
    if source == SOURCE_TARGET:
        return 0 if is_date_rule else 1
    if source == SOURCE_ERLANG:
        return 2 if is_date_rule else 3
    raise ValueError(f"source must be {SOURCE_TARGET!r} or {SOURCE_ERLANG!r}, got {source!r}")


def _check_grid(grid_minutes: int) -> None:
    if isinstance(grid_minutes, bool) or grid_minutes not in INTERVAL_MINUTES_CHOICES:
        raise ValueError(
            f"grid_minutes must be one of {list(INTERVAL_MINUTES_CHOICES)}, got {grid_minutes!r}"
        )


def _target_rules(
    path: str | Path, grid_minutes: int, known_scopes: Collection[str] | None
) -> list[dict[str, Any]]:
    return [
        row
        | {
            "source": SOURCE_TARGET,
            "contacts": None,
            "aht_seconds": None,
            "service_level": None,
            "target_seconds": None,
            "scheduled_required": None,
            "service_level_expected": None,
        }
        for row in read_targets(path, grid_minutes, known_scopes)
    ]


def _forecast_rules(
    path: str | Path, grid_minutes: int, known_scopes: Collection[str] | None
) -> list[dict[str, Any]]:
    """Forecast rows sized by Erlang C over each row's own interval: the on-queue agents before
    shrinkage, and the scheduled heads when the row states a planned shrinkage."""
    rules = []
    for row in read_forecast(path, grid_minutes, known_scopes):
        seconds = (row["end_minute"] - row["start_minute"]) * 60
        sizing = (
            row["contacts"],
            row["aht_seconds"],
            seconds,
            row["service_level"],
            row["target_seconds"],
        )
        try:
            agents = erlang.required_agents(*sizing, max_occupancy=row["max_occupancy"])
            scheduled = None
            if row["shrinkage"] is not None:
                scheduled = erlang.required_agents(
                    *sizing, max_occupancy=row["max_occupancy"], shrinkage=row["shrinkage"]
                )
        except ValueError as exc:  # each cell is plausible, but together beyond MAX_SERVERS
            raise cell_error(str(path), row["_line"], "contacts", str(exc)) from None
        rules.append(
            row
            | {
                "required_agents": float(agents),
                "source": SOURCE_ERLANG,
                "scheduled_required": None if scheduled is None else float(scheduled),
                "service_level_expected": _expected_level(row, agents, seconds),
            }
        )
    return rules


def _expected_level(row: dict[str, Any], agents: int, seconds: float) -> float | None:
    """The Erlang C service level ``agents`` give the row's traffic (None without traffic)."""
    if row["contacts"] == 0 or agents == 0:
        return None
    traffic = row["contacts"] * row["aht_seconds"] / seconds
    return float(erlang.service_level(agents, traffic, row["aht_seconds"], row["target_seconds"]))


def _frame(rules: list[dict[str, Any]]) -> pd.DataFrame:
    """Build the rules table with fixed dtypes, so an empty table still joins cleanly in SQL."""
    rules = sorted(
        rules,
        key=lambda r: (
            r["scope_key"],
            rule_priority(r["source"], r["day_date"] is not None),
            r["day_date"] or dt.date.min,
            r["weekday"] or 0,
            r["start_minute"],
        ),
    )

    def floats(column: str) -> pd.Series:
        values = [math.nan if r[column] is None else float(r[column]) for r in rules]
        return pd.Series(values, dtype="float64")

    return pd.DataFrame(
        {
            "scope_key": pd.Series([r["scope_key"] for r in rules], dtype="str"),
            "day_date": pd.Series([r["day_date"] for r in rules], dtype=object),
            "weekday": pd.array([r["weekday"] for r in rules], dtype="Int64"),
            "start_minute": pd.Series([r["start_minute"] for r in rules], dtype="int64"),
            "end_minute": pd.Series([r["end_minute"] for r in rules], dtype="int64"),
            "required_agents": floats("required_agents"),
            "source": pd.Series([r["source"] for r in rules], dtype="str"),
            "contacts": floats("contacts"),
            "aht_seconds": floats("aht_seconds"),
            "service_level": floats("service_level"),
            "target_seconds": floats("target_seconds"),
            "priority": pd.Series(
                [rule_priority(r["source"], r["day_date"] is not None) for r in rules],
                dtype="int64",
            ),
            "scheduled_required": floats("scheduled_required"),
            "service_level_expected": floats("service_level_expected"),
        },
        columns=RULE_COLUMNS,
    )


def load_targets(
    path: str | Path, grid_minutes: int = 15, known_scopes: Collection[str] | None = None
) -> pd.DataFrame:
    """Rules (source ``'target'``) from a targets file; see the module docstring for the format."""
    _check_grid(grid_minutes)
    return _frame(_target_rules(path, grid_minutes, known_scopes))


def load_forecast(
    path: str | Path, grid_minutes: int = 15, known_scopes: Collection[str] | None = None
) -> pd.DataFrame:
    """Rules (source ``'forecast_erlang_c'``) from a forecast file, on-queue head-counts
    sized by Erlang C (before shrinkage; ``scheduled_required`` after it)."""
    _check_grid(grid_minutes)
    return _frame(_forecast_rules(path, grid_minutes, known_scopes))


def load_requirements(
    targets_path: str | Path | None,
    forecast_path: str | Path | None,
    grid_minutes: int = 15,
    known_scopes: Collection[str] | None = None,
) -> pd.DataFrame:
    """One rules table from whichever of the two files is configured (either may be None).

    Columns are :data:`RULE_COLUMNS`. ``day_date`` holds ``datetime.date`` objects (None for
    weekday rules) in an object column; when no rule is dated DuckDB sees that column as type
    NULL, so SQL should compare ``CAST(day_date AS DATE)``. ``weekday`` is nullable Int64 (ISO,
    1 = Monday), None for dated rules. Targets and forecast rules may cover the same cells;
    ``priority`` says which wins (see :func:`rule_priority`).
    """
    _check_grid(grid_minutes)
    rules: list[dict[str, Any]] = []
    if targets_path is not None:
        rules += _target_rules(targets_path, grid_minutes, known_scopes)
    if forecast_path is not None:
        rules += _forecast_rules(forecast_path, grid_minutes, known_scopes)
    return _frame(rules)
