"""Retention in Dagster: old finished runs leave a real (SQLite) instance with their events,
and the retention assets materialize in process with their checks."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    asset,
    materialize,
)

from pipelines import settings
from pipelines.defs.common import daily_partitions
from pipelines.defs.maintenance.assets import raw_retention, run_history_retention
from pipelines.defs.maintenance.checks import no_raw_rows_past_retention, no_runs_past_retention
from pipelines.defs.maintenance.resources import RetentionResource
from pipelines.defs.maintenance.schedules import retention_nightly
from pipelines.resources import WarehouseResource
from pipelines.retention import archive_file, purge_runs
from pipelines.warehouse import connect
from tests.support.seeding import seed_raw


@asset
def tiny() -> int:
    return 1


def _historical(instance: DagsterInstance, status: DagsterRunStatus, created: datetime) -> str:
    run = DagsterRun(job_name="poll_availability", run_id=str(uuid.uuid4()), status=status)
    instance.run_storage.add_historical_run(run, created)
    return run.run_id


def test_finished_runs_past_their_age_go_with_their_events_and_the_others_stay(
    tmp_path: Path,
) -> None:
    with DagsterInstance.local_temp(tempdir=str(tmp_path)) as instance:
        old = materialize([tiny], instance=instance).run_id
        cutoff = datetime.now(UTC)
        new = materialize([tiny], instance=instance).run_id
        at_cutoff = _historical(instance, DagsterRunStatus.SUCCESS, cutoff)
        old_failed = _historical(instance, DagsterRunStatus.FAILURE, cutoff - timedelta(days=30))
        old_running = _historical(instance, DagsterRunStatus.STARTED, cutoff - timedelta(days=30))
        old_queued = _historical(
            instance, DagsterRunStatus.NOT_STARTED, cutoff - timedelta(days=30)
        )
        run_file = instance.event_log_storage.path_for_shard(old)
        assert instance.all_logs(old) and os.path.exists(run_file)

        outcome = purge_runs(instance, cutoff)

        left = {r.run_id for r in instance.get_runs()}
        assert left == {new, at_cutoff, old_running, old_queued}
        assert outcome.runs_deleted == 2 and old_failed not in left
        assert sorted(outcome.unfinished_kept) == sorted([old_running, old_queued])
        assert not os.path.exists(run_file) and instance.get_run_by_id(old) is None
        assert instance.all_logs(old) == []
        assert instance.all_logs(new)  # the newer run keeps its events
        assert purge_runs(instance, cutoff).runs_deleted == 0  # a rerun is a no-op


def test_the_retention_assets_materialize_with_their_checks(tmp_db: str, tmp_path: Path) -> None:
    zone = "UTC"
    old, kept = seed_raw(tmp_db, zone)
    folder = tmp_path / "archive"
    resources = {
        "warehouse": WarehouseResource(database=tmp_db),
        "retention": RetentionResource(raw_days=14, run_days=14, archive_dir=str(folder)),
    }
    (tmp_path / "home").mkdir()
    with DagsterInstance.local_temp(tempdir=str(tmp_path / "home")) as instance:
        result = materialize(
            [
                raw_retention,
                run_history_retention,
                no_raw_rows_past_retention,
                no_runs_past_retention,
            ],  # fmt: skip
            resources=resources,
            instance=instance,
        )
    assert result.success
    events = {e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()}
    metadata = events["raw_retention"].materialization.metadata
    assert metadata["rows_deleted_raw_responses"].value == 1
    assert metadata["files_written"].value == [
        archive_file(folder, "raw_responses", old).relative_to(folder).as_posix()
    ]
    assert metadata["before_file_bytes"].value > 0 and metadata["after_file_bytes"].value > 0
    assert events["run_history_retention"].materialization.metadata["runs_deleted"].value == 0
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"no_raw_rows_past_retention": True, "no_runs_past_retention": True}
    with connect(tmp_db, read_only=True) as con:
        assert con.execute("SELECT tick_id FROM raw_responses").fetchall() == [(f"tick-{kept}",)]


def test_the_nightly_retention_runs_after_the_finalize_run() -> None:
    def at(name: str) -> tuple[int, int]:
        minute, hour, *rest = settings.default(name).split()
        assert rest == ["*", "*", "*"], name
        return int(hour), int(minute)

    retention = at("AVAILABILITY_RETENTION_CRON")
    assert retention > at("AVAILABILITY_FINALIZE_CRON")
    assert retention_nightly.execution_timezone == daily_partitions.timezone
