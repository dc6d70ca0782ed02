"""The service-level goal of each scope: the forecast file's, else the settings'.

A planner who keeps a forecast file has already written each scope's goal in it (columns
``service_level``, ``target_seconds``, ``max_occupancy``); computed demand for the same scope
should be sized to the same goal, or the two requirements would not be comparable. A scope
whose rows state different goals (a stricter one for the peak, say) takes the goal of most of
its rows, the stricter on a tie (higher service level, then shorter target, then the lower
occupancy cap); scopes the file does not name take the settings' goal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.coverage.requirements_files import read_forecast
from pipelines.demand.settings import DemandSettings

__all__ = ["Goal", "forecast_file_goals", "goal_for", "scope_goals"]


@dataclass(frozen=True)
class Goal:
    """Share of offered contacts answered within ``target_seconds``, and the occupancy cap."""

    service_level: float
    target_seconds: float
    max_occupancy: float | None = None


def _strictness(goal: Goal) -> tuple[float, float, float]:
    cap = 2.0 if goal.max_occupancy is None else goal.max_occupancy
    return (goal.service_level, -goal.target_seconds, -cap)


def scope_goals(rows: Iterable[Mapping[str, Any]]) -> dict[str, Goal]:
    """Per scope key, the goal most of its forecast rows state (stricter on a tie)."""
    counts: dict[str, Counter[Goal]] = defaultdict(Counter)
    for row in rows:
        goal = Goal(
            float(row["service_level"]),
            float(row["target_seconds"]),
            None if row.get("max_occupancy") is None else float(row["max_occupancy"]),
        )
        counts[row["scope_key"]][goal] += 1
    return {
        scope: max(found, key=lambda goal: (found[goal], _strictness(goal)))
        for scope, found in counts.items()
    }


def forecast_file_goals(path: str | Path | None, grid_minutes: int) -> dict[str, Goal]:
    """:func:`scope_goals` of a forecast file (checked as the requirement build checks it);
    empty without a file."""
    if not path:
        return {}
    return scope_goals(read_forecast(path, grid_minutes, None))


def goal_for(scope_key: str, goals: Mapping[str, Goal], settings: DemandSettings) -> Goal:
    """The scope's goal from the forecast file, else the settings' goal."""
    found = goals.get(scope_key)
    if found is not None:
        return found
    return Goal(settings.service_level, settings.target_seconds, settings.max_occupancy)
