"""The nightly finalize: yesterday's exact history first, then the rebuild, in one Dagster run;
a 2-hour poller outage on that day is repaired, with completeness before and after in the
metadata, the reconciliation table and the report. The simulator serves history and the
agents listing over real HTTP; the polls are the same model's (synthetic, one a minute)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, build_schedule_context, materialize

from pipelines.definitions import defs
from pipelines.defs.coverage import schedules as coverage_schedules
from pipelines.defs.coverage.checks import intervals_are_observed, polls_agree_with_history
from pipelines.defs.coverage.schedules import (
    COVERAGE_KEYS,
    COVERAGE_SELECTION,
    finalize_coverage,
    finalize_job,
)
from pipelines.resources import CoverageResource, KoreResource, WarehouseResource
from pipelines.simulator import SimulatorServer
from pipelines.warehouse import connect
from tests.support.finalized import FINALIZE_ASSETS, apply_listing
from tests.support.kore import connection_settings
from tests.support.seeding import seed_days

Start = Callable[..., SimulatorServer]
DAY = date(2026, 11, 30)  # closed by the machine's clock; the simulator answers it
OUTAGE = (datetime(2026, 11, 30, 14, 0, tzinfo=UTC), datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
AGENTS, SEED = 30, 5
KEPT = ("all", "skill:sk-sales", "queue:qu-support")


def test_the_finalize_schedule_fetches_yesterday_first_then_rebuilds_the_days_before() -> None:
    context = build_schedule_context(
        scheduled_execution_time=datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    )
    yesterday, before = finalize_coverage(context)
    assert (yesterday.partition_key, before.partition_key) == ("2026-11-30", "2026-11-29")
    assert yesterday.asset_selection is None  # the whole finalize job: history included
    assert before.asset_selection == list(COVERAGE_KEYS)  # the rebuild only
    graph = defs.resolve_asset_graph()
    assert set(COVERAGE_KEYS) == COVERAGE_SELECTION.resolve(graph)
    job = defs.resolve_job_def(finalize_job.name)
    assert AssetKey("agent_status_history") in job.asset_layer.selected_asset_keys
    # Dagster orders the run by this edge: history, then the spans built from it.
    assert AssetKey("agent_status_history") in graph.get(AssetKey("agent_status_spans")).parent_keys
    assert {s.name for s in defs.schedules} >= {"finalize_coverage_after_midnight"}
    assert "fetch_status_history_nightly" not in {s.name for s in defs.schedules}


def test_without_history_every_finalize_run_is_the_rebuild_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """KORE_STATUS_HISTORY_ENABLED=false (read at import): an app without the analytics scope
    would otherwise fail the history step every night and skip yesterday's rebuild with it."""
    monkeypatch.setattr(coverage_schedules, "HISTORY_ENABLED", False)
    context = build_schedule_context(
        scheduled_execution_time=datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    )
    requests = finalize_coverage(context)
    assert [r.partition_key for r in requests] == ["2026-11-30", "2026-11-29"]
    assert all(r.asset_selection == list(COVERAGE_KEYS) for r in requests)


def test_a_poller_outage_is_repaired_by_the_nightly_finalize(
    simulator_factory: Start, tmp_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = simulator_factory(
        agents=AGENTS, seed=SEED, time_zone="UTC", rate_limit_per_minute=None
    )
    seed_days(tmp_db, DAY, agents=AGENTS, seed=SEED, zone="UTC")
    with connect(tmp_db) as con:  # the poller was down for two hours
        for table in ("snapshots", "raw_responses"):
            con.execute(f"DELETE FROM {table} WHERE observed_at >= ? AND observed_at < ?", OUTAGE)
        # Three scopes keep the report quick to draw: the whole roster, a skill and a queue.
        con.execute("DELETE FROM scopes WHERE scope_key NOT IN (?, ?, ?)", KEPT)
    apply_listing(server, tmp_db, datetime(2026, 11, 29, tzinfo=UTC))
    monkeypatch.setenv("AVAILABILITY_REPORTS_DIR", str(tmp_path / "reports"))
    result = materialize(
        [*FINALIZE_ASSETS, intervals_are_observed, polls_agree_with_history],
        partition_key=DAY.isoformat(),
        resources={
            "kore": KoreResource(**connection_settings(server.env())),
            "warehouse": WarehouseResource(database=tmp_db),
            "coverage_config": CoverageResource(time_zone="UTC"),
        },
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    order = [e.asset_key.path[-1] for e in result.get_asset_materialization_events()]
    assert order.index("agent_status_history") < order.index("agent_status_spans")
    metadata = {
        e.asset_key.path[-1]: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    grid = metadata["coverage_intervals"]
    assert grid["basis"].text == "finalized"
    scopes = grid["scopes_finalized"].value
    assert scopes == len(KEPT) and grid["scopes_provisional"].value == 0
    assert metadata["coverage_vs_requirement"]["basis"].text == "finalized"
    # Before: the polls saw 96 - 7 cells of each scope (the 14:00 cell for its first minute,
    # the last poll's window); after: every cell; repaired: the 8 cells of the outage.
    assert grid["cells_started"].value == 96 * scopes
    assert grid["cells_observed_by_polls"].value == 89 * scopes
    assert grid["cells_covered"].value == 96 * scopes
    assert grid["cells_repaired_from_history"].value == 8 * scopes
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["intervals_are_observed"].passed  # finalized: observed all day
    assert checks["polls_agree_with_history"].passed  # clean polls, outside the outage
    with connect(tmp_db, read_only=True) as con:
        rows = con.execute(
            "SELECT scope_key, cells_polled, cells_fully_polled, cells_covered, cells_repaired, "
            "cells_compared, round(polled_share, 4) FROM coverage_reconciliation WHERE day = ? "
            "AND scope_key = 'all'",
            [DAY],
        ).fetchall()
    assert rows == [("all", 89, 88, 96, 8, 88, round(88 / 96 + 1 / 15 / 96, 4))]
    page = Path(metadata["coverage_report"]["report_path"].value).read_text(encoding="utf-8")
    assert 'data-basis="finalized"' in page and 'id="reconciliation-table"' in page
    assert "membership-note" not in page  # the listing is older than the day
