"""Ingest stage: poll Kore.ai's availability endpoint into DuckDB snapshots, and its checks."""

import os
from datetime import UTC, datetime, timedelta

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from pipelines.polling import TickOutcome, run_tick
from pipelines.resources import KoreResource, ScopesResource, WarehouseResource
from pipelines.warehouse import fetch_all, fetch_df

DUCKDB_POOL = "duckdb_writer"


def tick_id_for(context: AssetExecutionContext) -> str:
    """Deterministic per schedule slot or per run lineage, so a re-run replaces its tick."""
    scheduled = context.run.tags.get("dagster/scheduled_execution_time")
    if scheduled:
        return f"sched-{scheduled}"
    return f"run-{context.run.root_run_id or context.run.run_id}"


def markdown_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_none_"
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = [
        "| " + " | ".join("" if pd.isna(v) else str(v).replace("|", "\\|") for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])


def tick_metadata(outcome: TickOutcome) -> dict[str, object]:
    latencies = [r.latency_ms for r in outcome.results if r.latency_ms is not None]
    failed = pd.DataFrame(
        {
            "scope": [r.scope_key for r in outcome.failed],
            "kind": [r.error_kind for r in outcome.failed],
            "http_status": [r.http_status for r in outcome.failed],
            "attempts": [r.attempts for r in outcome.failed],
            "error": [(r.error_text or "")[:200] for r in outcome.failed],
        }
    )
    return {
        "tick_id": outcome.tick.tick_id,
        "failed_scope_keys": [r.scope_key for r in outcome.failed],
        "rows_written": MetadataValue.int(outcome.counts["snapshot_rows"]),
        "scopes_asked": MetadataValue.int(outcome.counts["scopes_asked"]),
        "scopes_ok": MetadataValue.int(outcome.counts["scopes_ok"]),
        "scopes_failed": MetadataValue.int(outcome.counts["scopes_failed"]),
        "scopes_deferred": MetadataValue.int(outcome.counts["scopes_deferred"]),
        "failed_scopes": MetadataValue.md(markdown_table(failed)),
        "deferred_scopes": [s.key for s in outcome.deferred],
        "agents_per_status": MetadataValue.md(markdown_table(outcome.status_counts)),
        "latency_ms_median": MetadataValue.float(
            float(pd.Series(latencies).median()) if latencies else 0.0
        ),
        "latency_ms_max": MetadataValue.float(max(latencies) if latencies else 0.0),
    }


@asset(
    group_name="ingest",
    kinds={"duckdb", "python"},
    pool=DUCKDB_POOL,
    description=(
        "One tick of Kore.ai 'Check Agent Availability Status': one request per scope, the raw "
        "answers landed in raw_responses, normalized rows in snapshots, agents and "
        "channel_capacity, and the tick in ticks."
    ),
)
def availability_snapshots(
    context: AssetExecutionContext,
    kore: KoreResource,
    scopes: ScopesResource,
    warehouse: WarehouseResource,
) -> MaterializeResult:
    outcome = run_tick(
        warehouse.connection,
        kore.settings(),
        scopes.load(),
        tick_id=tick_id_for(context),
        run_id=context.run.run_id,
        pii=warehouse.pii_policy(),
    )
    metadata = tick_metadata(outcome)
    for result in outcome.failed:
        context.log.warning(f"scope {result.scope_key} failed: {result.error_text}")
    if outcome.results and len(outcome.failed) == len(outcome.results):
        first = outcome.failed[0]
        raise Failure(
            description=(
                f"every scope failed in tick {outcome.tick.tick_id} (landed in raw_responses); "
                f"first error: {first.error_text}"
            ),
            metadata=metadata,
        )
    # Some scopes failed but others landed: the run succeeds (their data is in), the failed
    # scopes are in the metadata and the last_tick_scopes_succeeded check fails (a warning).
    return MaterializeResult(metadata=metadata)


@asset_check(asset=availability_snapshots, pool=DUCKDB_POOL, blocking=False)
def snapshots_have_no_duplicates(warehouse: WarehouseResource) -> AssetCheckResult:
    """No (tick, scope, agent) stored twice in the last day of ticks."""
    since = datetime.now(UTC) - timedelta(days=1)
    with warehouse.connection(read_only=True) as con:
        duplicates = fetch_df(con, "checks/snapshot_duplicates.sql", since=since)
    return AssetCheckResult(
        passed=duplicates.empty,
        metadata={
            "duplicate_groups": MetadataValue.int(len(duplicates)),
            "examples": MetadataValue.md(markdown_table(duplicates)),
        },
    )


@asset_check(asset=availability_snapshots, pool=DUCKDB_POOL)
def last_tick_is_fresh(warehouse: WarehouseResource) -> AssetCheckResult:
    """The last polled tick ended recently (AVAILABILITY_FRESHNESS_MINUTES, default 5)."""
    limit = timedelta(minutes=float(os.environ.get("AVAILABILITY_FRESHNESS_MINUTES", "5")))
    with warehouse.connection(read_only=True) as con:
        row = next(iter(fetch_all(con, "checks/last_tick.sql")), None)
    if row is None:
        return AssetCheckResult(passed=False, metadata={"reason": "no tick has been polled"})
    age = datetime.now(UTC) - row[2]
    return AssetCheckResult(
        passed=age <= limit,
        metadata={
            "tick_id": row[0],
            "ended_at": row[2].isoformat(),
            "age_seconds": MetadataValue.float(round(age.total_seconds(), 1)),
            "limit_seconds": MetadataValue.float(limit.total_seconds()),
        },
    )


@asset_check(asset=availability_snapshots, pool=DUCKDB_POOL)
def last_tick_scopes_succeeded(warehouse: WarehouseResource) -> AssetCheckResult:
    """Every scope asked in the last tick answered; a failed scope means a hole in the data."""
    with warehouse.connection(read_only=True) as con:
        row = next(iter(fetch_all(con, "checks/last_tick.sql")), None)
        failed = (
            fetch_df(con, "checks/failed_scopes.sql", tick_id=row[0]) if row else pd.DataFrame()
        )
    return AssetCheckResult(
        passed=row is not None and failed.empty,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "tick_id": row[0] if row else "",
            "scopes_failed": MetadataValue.int(len(failed)),
            "failed": MetadataValue.md(markdown_table(failed)),
        },
    )
