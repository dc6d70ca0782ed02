"""The schedules file: agents scheduled per scope and interval, the third line of net staffing.

WFM tools put three figures side by side per interval: agents required on queue, agents
scheduled, agents actually on queue. Requirements and actuals come from the forecast and the
polls; the schedule comes from the planner's WFM tool, exported as an optional CSV (setting
``AVAILABILITY_SCHEDULES_FILE``)::

    scope,day,interval_start,scheduled_agents[,interval_minutes]
    skill:sk-billing,mon,08:00,9,60

with the conventions of the targets file (:mod:`pipelines.coverage.requirements_files`, whose
reader this module uses): ``day`` a weekday or an ISO date, ``interval_start`` local
wall-clock ``HH:MM`` on the grid, ``interval_minutes`` optional, comment lines, and every error
naming the file, line and column. A dated row wins over a weekday row; two rows of the file
for the same scope, day and overlapping minutes are refused.

``scheduled_agents`` are scheduled HEADS (before shrinkage), comparable with
``staffing_requirements.scheduled_required``; ``coverage_vs_requirement.scheduled`` shows them
next to the on-queue figures.

Why per scope and interval, not per-agent shifts (``agent_id,day,start,end``): the figure
analysts compare is heads per staffing group and interval, which is what WFM tools export;
per-agent shifts would have to be mapped to skills and queues through the membership history
as it will be at a future time, which nobody knows yet, and an agent in several skills would
be scheduled in each. A per-scope file states the planner's own count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from pipelines.coverage.calendar import INTERVAL_MINUTES_CHOICES
from pipelines.coverage.requirements_files import (
    RequirementsFileError,
    _check_overlaps,
    _common_fields,
    _parse_number,
    _ranged,
    _read_rows,
)

__all__ = [
    "SCHEDULES_SETTING",
    "SCHEDULE_COLUMNS",
    "RequirementsFileError",
    "load_schedules",
    "read_schedules",
]

SCHEDULES_SETTING = "AVAILABILITY_SCHEDULES_FILE"
SCHEDULE_COLUMNS = [
    "scope_key",
    "day_date",
    "weekday",
    "start_minute",
    "end_minute",
    "scheduled_agents",
]

_REQUIRED = ("scope", "day", "interval_start", "scheduled_agents")
_OPTIONAL = ("interval_minutes",)


def read_schedules(
    path: str | Path, grid_minutes: int, known_scopes: Collection[str] | None
) -> list[dict[str, object]]:
    """The rows of a schedules file, checked: scope_key, day_date, weekday, start_minute,
    end_minute, scheduled_agents and ``_line``. Raises :class:`RequirementsFileError`."""
    rows = []
    for row in _read_rows(path, SCHEDULES_SETTING, "schedule", _REQUIRED, _OPTIONAL):
        fields = _common_fields(row, grid_minutes, known_scopes)
        fields["scheduled_agents"] = float(_ranged(row, "scheduled_agents", _parse_number))
        rows.append(fields)
    _check_overlaps(str(path), rows)
    return rows


def load_schedules(
    path: str | Path | None,
    grid_minutes: int = 15,
    known_scopes: Collection[str] | None = None,
) -> pd.DataFrame:
    """The schedules table (columns :data:`SCHEDULE_COLUMNS`) from the file, or an empty one
    when ``path`` is None (no schedules file configured)."""
    if isinstance(grid_minutes, bool) or grid_minutes not in INTERVAL_MINUTES_CHOICES:
        raise ValueError(
            f"grid_minutes must be one of {list(INTERVAL_MINUTES_CHOICES)}, got {grid_minutes!r}"
        )
    rows = [] if path is None else read_schedules(path, grid_minutes, known_scopes)
    rows.sort(
        key=lambda r: (
            r["scope_key"],
            r["day_date"] or dt.date.min,
            r["weekday"] or 0,
            r["start_minute"],
        )
    )
    return pd.DataFrame(
        {
            "scope_key": pd.Series([r["scope_key"] for r in rows], dtype="str"),
            "day_date": pd.Series([r["day_date"] for r in rows], dtype=object),
            "weekday": pd.array([r["weekday"] for r in rows], dtype="Int64"),
            "start_minute": pd.Series([r["start_minute"] for r in rows], dtype="int64"),
            "end_minute": pd.Series([r["end_minute"] for r in rows], dtype="int64"),
            "scheduled_agents": pd.Series([r["scheduled_agents"] for r in rows], dtype="float64"),
        },
        columns=SCHEDULE_COLUMNS,
    )
