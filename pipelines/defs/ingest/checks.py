"""Checks of the snapshots: no duplicates, a fresh last tick, every scope of it answered."""

from datetime import UTC, datetime, timedelta

import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from pipelines import settings
from pipelines.defs.ingest.assets import availability_snapshots
from pipelines.markdown import markdown_table
from pipelines.resources import WarehouseResource
from pipelines.warehouse import fetch_all, fetch_df


@asset_check(asset=availability_snapshots, blocking=False)
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


@asset_check(asset=availability_snapshots)
def last_tick_is_fresh(warehouse: WarehouseResource) -> AssetCheckResult:
    """The last polled tick ended recently (AVAILABILITY_FRESHNESS_MINUTES, default 5)."""
    limit = timedelta(minutes=settings.get("AVAILABILITY_FRESHNESS_MINUTES"))
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


@asset_check(asset=availability_snapshots)
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


@asset_check(asset=availability_snapshots)
def membership_matches_kore(warehouse: WarehouseResource) -> AssetCheckResult:
    """The membership the ticks count by agrees with Kore's own filtered answers.

    Membership mode counts each skill and queue from one all-agents answer and Kore's agents
    listing; Kore does not document how the empty filter behaves on every tenant, so a drift
    check now and then asks one scope directly. A scope whose latest check differs (agents in
    Kore's answer but not in the listing, or the reverse) warns here, naming the agents.
    """
    since = datetime.now(UTC) - timedelta(days=1)
    with warehouse.connection(read_only=True) as con:
        checks = fetch_df(con, "checks/membership_drift.sql", since=since)
    drifted = checks[(checks["missing"] > 0) | (checks["extra"] > 0)]
    return AssetCheckResult(
        passed=drifted.empty,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "scopes_checked": MetadataValue.int(len(checks)),
            "scopes_drifted": MetadataValue.int(len(drifted)),
            "drifted_scope_keys": list(drifted["scope_key"]),
            "drift": MetadataValue.md(markdown_table(drifted)),
        },
    )
