"""The demand stage in process: contact_volume materializes with its checks and metadata."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dagster import DagsterInstance, DefaultScheduleStatus, materialize

from pipelines.defs.demand.assets import contact_volume
from pipelines.defs.demand.checks import (
    fetched_windows_have_no_gap,
    offered_is_answered_plus_abandoned,
    time_unit_is_consistent,
)
from pipelines.defs.demand.schedules import volume_schedule
from pipelines.defs.ingest.schedules import poll_schedule
from pipelines.polling.volume import floor_interval
from pipelines.resources import KoreResource, WarehouseResource
from pipelines.warehouse import connect
from tests.support.callvolume import VolumeServer, volume_rows

CHECKS = [offered_is_answered_plus_abandoned, fetched_windows_have_no_gap, time_unit_is_consistent]


def resources(server: VolumeServer, database: str) -> dict[str, object]:
    kore = KoreResource(
        host=server.base_url,
        bot_id=server.bot,
        account_id=server.account,
        client_id="cs-volume-test",
        client_secret="volume-test-secret-that-is-long-enough-0001",
        org_id=server.org,
    )
    return {"kore": kore, "warehouse": WarehouseResource(database=database)}


@pytest.fixture(autouse=True)
def one_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KORE_CALLVOLUME_FIRST_SYNC_DAYS", "1")
    monkeypatch.setenv("KORE_CALLVOLUME_PAGE_SIZE", "100")


def test_contact_volume_materializes_with_metadata_and_checks(tmp_db: str) -> None:
    end = floor_interval(datetime.now(UTC))
    with VolumeServer() as server:
        server.rows = volume_rows(end - timedelta(days=1), 96)
        result = materialize(
            [contact_volume, *CHECKS],
            resources=resources(server, tmp_db),
            instance=DagsterInstance.ephemeral(),
        )
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert (metadata["pages"].value, metadata["rows"].value) == (2, 384)
    assert metadata["restated_rows"].value == 0
    assert metadata["stopped"].value == "complete"
    assert metadata["units"].value["queue"]["unit"] == "milliseconds"
    assert metadata["watermark"].value == end.isoformat()
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {c.check_key.name: True for c in CHECKS}


def test_a_missing_scope_fails_the_run_naming_it(tmp_db: str) -> None:
    with VolumeServer() as server:
        server.missing_scope = True
        result = materialize(
            [contact_volume],
            resources=resources(server, tmp_db),
            instance=DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "WFM Integration" in str(failure.event_specific_data.error)


def test_the_unit_check_warns_when_a_level_was_read_in_two_units(tmp_db: str) -> None:
    end = floor_interval(datetime.now(UTC))
    with VolumeServer() as server:
        server.rows = volume_rows(end - timedelta(days=1), 96, unit="milliseconds")
        materialize(
            [contact_volume], resources=resources(server, tmp_db),
            instance=DagsterInstance.ephemeral(),
        )  # fmt: skip
    with connect(tmp_db) as con:  # a later page read in seconds, as a wrong setting would
        con.execute(
            "UPDATE contact_volume SET time_unit = 'seconds' "
            "WHERE interval_start = (SELECT max(interval_start) FROM contact_volume)"
        )
    evaluation = time_unit_is_consistent(warehouse=WarehouseResource(database=tmp_db))
    assert not evaluation.passed
    assert evaluation.metadata["mixed_levels"].value == ["acct-1 queue", "acct-1 skill"]


def test_the_gap_and_balance_checks_fail_on_a_hole_and_on_counts_that_do_not_add_up(
    tmp_db: str,
) -> None:
    end = floor_interval(datetime.now(UTC))
    with VolumeServer() as server:
        server.rows = volume_rows(end - timedelta(days=1), 96)
        materialize(
            [contact_volume], resources=resources(server, tmp_db),
            instance=DagsterInstance.ephemeral(),
        )  # fmt: skip
    warehouse = WarehouseResource(database=tmp_db)
    assert fetched_windows_have_no_gap(warehouse=warehouse).passed
    assert offered_is_answered_plus_abandoned(warehouse=warehouse).passed
    with connect(tmp_db) as con:
        con.execute(
            "INSERT INTO contact_volume_syncs SELECT 'later', account_id, false, "
            "to_ts + INTERVAL 1 HOUR, to_ts + INTERVAL 2 HOUR, page_size, skill_breakdown, 1, 0, "
            "0, 0, 0, started_at, updated_at, completed_at FROM contact_volume_syncs"
        )
        con.execute("UPDATE contact_volume SET offered = offered + 5 WHERE queue_id = 'qu-a'")
    gap = fetched_windows_have_no_gap(warehouse=warehouse)
    assert not gap.passed and gap.metadata["gaps"].value == 1
    balance = offered_is_answered_plus_abandoned(warehouse=warehouse)
    assert not balance.passed and balance.metadata["rows_off"].value == 96


def test_the_schedule_runs_the_sync_every_15_minutes_like_the_other_schedules() -> None:
    assert volume_schedule.cron_schedule == "*/15 * * * *"
    assert volume_schedule.execution_timezone == "UTC"
    assert volume_schedule.job.name == "sync_contact_volume"
    assert volume_schedule.default_status == poll_schedule.default_status
    assert volume_schedule.default_status in (
        DefaultScheduleStatus.RUNNING,
        DefaultScheduleStatus.STOPPED,
    )
