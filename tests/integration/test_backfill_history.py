"""A backfill before the first poll: seven closed days, each materialized as a partition of the
history and coverage assets (what a Dagster backfill over the range runs), are counted from
Kore's exact history alone, with the membership of the first listing (taken today), and equal
the simulator's truth; the report says that membership before the first refresh is today's.
A small roster keeps it quick; the simulator serves history and the listing over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize

from pipelines.coverage.calendar import local_date
from pipelines.resources import CoverageResource, KoreResource, WarehouseResource
from pipelines.scopes import Scope
from pipelines.simulator import SimulatorServer
from pipelines.simulator.history import seed_history
from pipelines.warehouse import connect
from tests.support.finalized import (
    FIGURES,
    FINALIZE_ASSETS,
    apply_listing,
    measured_cells,
    truth_cells,
)
from tests.support.kore import connection_settings

Start = Callable[..., SimulatorServer]
AGENTS, SEED = 12, 9
SCOPES = [Scope("all", "", "All agents"), Scope("skill", "sk-sales", "Sales")]


def test_seven_days_before_the_first_poll_are_built_from_history_alone(
    simulator_factory: Start, tmp_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = simulator_factory(
        agents=AGENTS, seed=SEED, time_zone="UTC", rate_limit_per_minute=None
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with connect(tmp_db) as con:  # installed today: the first polls, minutes ago
        seed_history(
            con, start=now - timedelta(minutes=3), end=now, agents=AGENTS, seed=SEED,
            scopes=SCOPES, time_zone="UTC",
        )  # fmt: skip
    apply_listing(server, tmp_db, now)  # the first membership refresh, today
    today = local_date(now, "UTC")
    days = [today - timedelta(days=n) for n in range(8, 1, -1)]  # seven closed days
    monkeypatch.setenv("AVAILABILITY_REPORTS_DIR", str(tmp_path / "reports"))
    resources = {
        "kore": KoreResource(**connection_settings(server.env())),
        "warehouse": WarehouseResource(database=tmp_db),
        "coverage_config": CoverageResource(time_zone="UTC"),
    }
    instance = DagsterInstance.ephemeral()
    members = {s.key: server.simulator.scope_members(s.key, now) for s in SCOPES}
    for day in days:
        result = materialize(
            FINALIZE_ASSETS,
            partition_key=day.isoformat(),
            resources=resources,
            instance=instance,
        )
        assert result.success, day
        metadata = {
            e.asset_key.path[-1]: e.materialization.metadata
            for e in result.get_asset_materialization_events()
        }
        grid = metadata["coverage_intervals"]
        assert grid["basis"].text == "finalized"
        assert grid["membership_before_first_listing"].value is True
        assert grid["cells_observed_by_polls"].value == 0  # no poll that day
        assert grid["cells_covered"].value == 96 * len(SCOPES)
        truth = truth_cells(server, day, members, zone="UTC")
        for key, row in measured_cells(tmp_db, day).items():
            expected = truth.get(key, dict.fromkeys(FIGURES, 0.0))
            assert all(abs(row[n] - expected[n]) < 1e-9 for n in FIGURES), key
        page = Path(metadata["coverage_report"]["report_path"].value).read_text("utf-8")
        assert 'id="membership-note"' in page and "today's" in page
    with connect(tmp_db, read_only=True) as con:
        built = con.execute(
            "SELECT day, min(basis), count(*) FROM coverage_intervals GROUP BY day ORDER BY day"
        ).fetchall()
    assert built == [(day, "finalized", 96 * len(SCOPES)) for day in days]
