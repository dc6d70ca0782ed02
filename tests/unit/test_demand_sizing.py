"""Sizing one cell of demand: which model, what happens at the edges, the interpolation."""

from __future__ import annotations

import pytest

from pipelines.coverage import erlang, erlang_a
from pipelines.demand import DemandSettings
from pipelines.demand.goals import Goal, goal_for, scope_goals
from pipelines.demand.sizing import achieved_service_level, size_cell


def test_no_contacts_need_no_agents() -> None:
    sized = size_cell(0, 900, 240.0, 120.0, 0.8, 20)
    assert (sized.required_agents, sized.required_erlang_c, sized.model) == (0.0, 0, "erlang_a")
    assert sized.service_level_expected is None
    assert size_cell(0, 900, None, None, 0.8, 20).model == "erlang_c"


def test_without_handle_time_a_cell_cannot_be_sized() -> None:
    sized = size_cell(12, 900, None, 120.0, 0.8, 20)
    assert (sized.required_agents, sized.model) == (None, None)


@pytest.mark.parametrize("patience", [None, 0.0, float("nan"), float("inf")])
def test_unknown_patience_means_erlang_c(patience: float | None) -> None:
    sized = size_cell(30, 900, 240.0, patience, 0.8, 20)
    expected = erlang.required_agents(30, 240.0, 900, 0.8, 20)
    assert (sized.required_erlang_a, sized.required_erlang_c) == (None, expected)
    assert (sized.required_agents, sized.model) == (expected, "erlang_c")


def test_known_patience_means_erlang_a_and_both_are_kept() -> None:
    sized = size_cell(30, 900, 240.0, 90.0, 0.8, 20, max_occupancy=0.9)
    expected_a = erlang_a.required_agents_a(120.0, 240.0, 90.0, 0.8, 20, max_occupancy=0.9)
    assert sized.required_erlang_a == expected_a
    assert sized.required_erlang_c == erlang.required_agents(
        30, 240.0, 900, 0.8, 20, max_occupancy=0.9
    )
    assert (sized.required_agents, sized.model) == (expected_a, "erlang_a")
    assert sized.service_level_expected >= 0.8 - 1e-9


def test_achieved_service_level_interpolates_between_head_counts() -> None:
    low = erlang_a.erlang_a(5, 120.0, 240.0, 90.0, 20).service_level
    high = erlang_a.erlang_a(6, 120.0, 240.0, 90.0, 20).service_level
    got = achieved_service_level(5.4, 30, 900, 240.0, 90.0, 20)
    assert got == pytest.approx(low * 0.6 + high * 0.4)
    assert achieved_service_level(5.0, 30, 900, 240.0, 90.0, 20) == pytest.approx(low)
    assert achieved_service_level(0.0, 30, 900, 240.0, 90.0, 20) == 0.0
    assert achieved_service_level(None, 30, 900, 240.0, 90.0, 20) is None
    assert achieved_service_level(5.0, 0, 900, 240.0, 90.0, 20) is None
    traffic = 30 * 240.0 / 900
    assert achieved_service_level(9.0, 30, 900, 240.0, None, 20) == pytest.approx(
        erlang.service_level(9, traffic, 240.0, 20)
    )


def test_scope_goal_is_the_forecast_files_most_common_then_the_strictest() -> None:
    def row(scope: str, level: float, target: float, cap: float | None = None) -> dict:
        return {
            "scope_key": scope,
            "service_level": level,
            "target_seconds": target,
            "max_occupancy": cap,
        }

    goals = scope_goals(
        [
            row("queue:a", 0.8, 20),
            row("queue:a", 0.9, 10),
            row("queue:a", 0.8, 20),
            row("queue:b", 0.8, 30),
            row("queue:b", 0.8, 20, 0.85),
            row("queue:c", 0.7, 60, 0.9),
        ]
    )
    assert goals == {
        "queue:a": Goal(0.8, 20.0),
        "queue:b": Goal(0.8, 20.0, 0.85),
        "queue:c": Goal(0.7, 60.0, 0.9),
    }
    settings = DemandSettings(service_level=0.85, target_seconds=15)
    assert goal_for("queue:z", goals, settings) == Goal(0.85, 15.0, None)
    assert goal_for("queue:c", goals, settings) == Goal(0.7, 60.0, 0.9)
