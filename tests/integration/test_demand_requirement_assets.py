"""The demand requirement assets through Dagster: one partition, metadata and checks, and the
coverage requirement build taking their cells."""

from datetime import UTC, date, datetime, time, timedelta

from dagster import DagsterInstance, materialize

from pipelines.defs.coverage.assets import staffing_requirements
from pipelines.defs.demand.requirements_assets import (
    days_to_build,
    demand_forecast,
    demand_requirements,
)
from pipelines.defs.demand.requirements_checks import (
    demand_cells_are_sized,
    forecast_covers_the_grid,
)
from pipelines.resources import CoverageResource, DemandResource, WarehouseResource
from pipelines.warehouse import connect
from tests.support.demand import add_scopes, volume_row, write_volume

DAY = date(2026, 1, 5)


def _volume(day: date, quarters: int) -> list[dict]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return [
        volume_row("q1", start + timedelta(minutes=15 * q), 12, 11, 1, 11 * 180, 11 * 9, 45)
        for q in range(quarters)
    ]


def test_demand_assets_materialize_with_metadata_and_checks(tmp_db: str) -> None:
    """Four past Mondays of volume and the day's first 48 quarter hours: the day's later cells
    come from the forecast, and staffing_requirements takes Kore demand, then the profile."""
    with connect(tmp_db) as con:
        add_scopes(con, "queue:q1")
        rows = [r for w in range(1, 5) for r in _volume(DAY - timedelta(weeks=w), 96)]
        write_volume(con, rows + _volume(DAY, 48))
    result = materialize(
        [
            demand_forecast,
            demand_requirements,
            staffing_requirements,
            forecast_covers_the_grid,
            demand_cells_are_sized,
        ],
        partition_key=DAY.isoformat(),
        resources={
            "warehouse": WarehouseResource(database=tmp_db),
            "coverage_config": CoverageResource(),
            "demand_config": DemandResource(service_level=0.8, target_seconds=20),
        },
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    forecast_meta = result.asset_materializations_for_node("demand_forecast")[0].metadata
    assert forecast_meta["row_count"].value == 96
    assert forecast_meta["days_built"].value == [DAY.isoformat()]  # a past day: no tomorrow
    assert "queue:q1 | 4 |" in forecast_meta["by_scope"].value
    needs = result.asset_materializations_for_node("demand_requirements")[0].metadata
    assert needs["row_count"].value == 96
    assert "| kore\\_erlang\\_a | 48 |" in needs["cells_by_source"].value
    assert "| profile\\_erlang\\_a | 48 |" in needs["cells_by_source"].value
    assert needs["service_level_goal"].value == "80% in 20 s"
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"forecast_covers_the_grid": True, "demand_cells_are_sized": True}
    with connect(tmp_db) as con:
        found = dict(
            con.execute(
                "SELECT source, count(*) FROM staffing_requirements WHERE day = ? GROUP BY ALL",
                [DAY],
            ).fetchall()
        )
    assert found == {"kore_erlang_a": 48, "profile_erlang_a": 48}


def test_today_also_builds_tomorrow() -> None:
    now = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    assert days_to_build(DAY, now, "UTC") == [DAY, DAY + timedelta(days=1)]
    assert days_to_build(DAY, now, "Asia/Tokyo") == [DAY]  # already Tuesday there
    assert days_to_build(DAY - timedelta(days=1), now, "UTC") == [DAY - timedelta(days=1)]
