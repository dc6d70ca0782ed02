"""Purge Dagster's run history past its age: the runs, their event logs and compute logs.

A poll a minute makes 1,440 runs a day, each with its event log (about 0.2 GB a day on the
SQLite storage ``dagster dev`` uses). Runs created before the cutoff that have FINISHED
(success, failure, canceled) are deleted through the instance's public API,
``DagsterInstance.delete_run`` (the run and every event of it, asset materializations
included), and their captured stdout/stderr through the compute log manager. Queued, starting,
running or canceling runs are never touched, whatever their age: a run stuck for weeks is
for a person to look at, and the check reports it.

On SQLite storage Dagster keeps one file per run (``history/runs/<run_id>.db``) that
``delete_run`` empties but leaves; SQLite does not give an emptied file's pages back, so the
file is removed here as well (on PostgreSQL, the production storage, the rows are simply
deleted and the space reused).

What goes with the runs: a materialization older than the cutoff disappears from the asset's
history, so a day partition last built before it shows as not materialized in the UI (the
data in DuckDB is untouched; the finalize schedule rebuilds only the last days).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from datetime import datetime

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

__all__ = ["FINISHED", "RunPurge", "purge_runs", "runs_past_age"]

FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
_BATCH = 200


@dataclass
class RunPurge:
    """What one purge did: runs deleted, unfinished old runs left alone, files removed."""

    cutoff: datetime
    runs_deleted: int = 0
    unfinished_kept: list[str] = field(default_factory=list)
    run_files_removed: int = 0


def runs_past_age(
    instance: DagsterInstance, cutoff: datetime, finished: bool = True, limit: int | None = None
) -> list[str]:
    """IDs of runs created before ``cutoff``: finished ones, or (``finished=False``) the others."""
    statuses = FINISHED if finished else [s for s in DagsterRunStatus if s not in FINISHED]
    records = instance.get_run_records(
        filters=RunsFilter(created_before=cutoff, statuses=statuses),
        limit=limit,
        order_by="create_timestamp",
        ascending=True,
    )
    return [record.dagster_run.run_id for record in records]


def _run_file(instance: DagsterInstance, run_id: str) -> str | None:
    """The per-run SQLite file of the event log, where the storage keeps one."""
    storage = instance.event_log_storage
    path_for_shard = getattr(storage, "path_for_shard", None)
    return path_for_shard(run_id) if callable(path_for_shard) else None


def _remove_run_file(instance: DagsterInstance, run_id: str) -> bool:
    """Remove the emptied per-run SQLite file, where the storage keeps one. The storage
    remembers which files it created its tables in; it is told to forget this one, so a later
    read of the (deleted) run in this process finds no file rather than a file without tables."""
    path = _run_file(instance, run_id)
    if not path or not os.path.exists(path):
        return False
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path + suffix)
    initialized = getattr(instance.event_log_storage, "_initialized_dbs", None)
    if isinstance(initialized, set):
        initialized.discard(run_id)
    return True


def purge_runs(
    instance: DagsterInstance, cutoff: datetime, keep: frozenset[str] = frozenset()
) -> RunPurge:
    """Delete every finished run created before ``cutoff`` (except ``keep``, e.g. the run
    doing the purge), with its events and logs; in batches, oldest first."""
    outcome = RunPurge(cutoff=cutoff)
    seen: set[str] = set()
    while True:
        batch = [r for r in runs_past_age(instance, cutoff, limit=_BATCH) if r not in keep]
        if not batch:
            break
        if seen.intersection(batch):  # the storage did not delete it: never loop forever
            raise RuntimeError(f"run {sorted(seen.intersection(batch))[0]} was not deleted")
        seen.update(batch)
        for run_id in batch:
            instance.delete_run(run_id)
            with contextlib.suppress(NotImplementedError):
                instance.compute_log_manager.delete_logs(prefix=[run_id])
            if _remove_run_file(instance, run_id):
                outcome.run_files_removed += 1
            outcome.runs_deleted += 1
    outcome.unfinished_kept = runs_past_age(instance, cutoff, finished=False)
    return outcome
