"""Checks of the snapshots: no duplicates, a fresh last tick, every scope of it answered, the
membership in agreement with Kore, and every account polled.

With an accounts file each check judges every account's own file and shows a row per account
(:func:`~pipelines.defs.per_account.check_every_account`); ``every_account_polled`` is the
one place that shows every account's freshness and failures side by side.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from pipelines import accounts, settings
from pipelines.accounts import Account
from pipelines.defs.ingest.assets import availability_snapshots
from pipelines.defs.per_account import accounts_table, check_every_account, for_every_account
from pipelines.markdown import markdown_table
from pipelines.resources import WarehouseResource
from pipelines.warehouse import fetch_all, fetch_df

NOTHING_POLLED = "no tick has been polled"


@asset_check(asset=availability_snapshots, blocking=False)
def snapshots_have_no_duplicates(warehouse: WarehouseResource) -> AssetCheckResult:
    """No (tick, scope, agent) stored twice in the last day of ticks."""
    return check_every_account(warehouse, _no_duplicates)


def _no_duplicates(warehouse: WarehouseResource) -> AssetCheckResult:
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
    return check_every_account(warehouse, _fresh, nothing_yet=_never_polled)


def _never_polled() -> AssetCheckResult:
    return AssetCheckResult(passed=False, metadata={"reason": NOTHING_POLLED})


def _fresh(warehouse: WarehouseResource) -> AssetCheckResult:
    limit = timedelta(minutes=settings.get("AVAILABILITY_FRESHNESS_MINUTES"))
    with warehouse.connection(read_only=True) as con:
        row = next(iter(fetch_all(con, "checks/last_tick.sql")), None)
    if row is None:
        return _never_polled()
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
    return check_every_account(
        warehouse,
        _scopes_succeeded,
        nothing_yet=lambda: AssetCheckResult(
            passed=False, severity=AssetCheckSeverity.WARN, metadata={"reason": NOTHING_POLLED}
        ),
    )


def _scopes_succeeded(warehouse: WarehouseResource) -> AssetCheckResult:
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
    return check_every_account(warehouse, _membership_agrees)


def _membership_agrees(warehouse: WarehouseResource) -> AssetCheckResult:
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


@asset_check(asset=availability_snapshots)
def every_account_polled(warehouse: WarehouseResource) -> AssetCheckResult:
    """Every configured account's last tick ended within AVAILABILITY_FRESHNESS_MINUTES and
    landed (some scope answered).

    One poll run serves every account and succeeds when any of them lands, so an account whose
    credentials were revoked, whose secret is missing or whose file is locked would otherwise
    go stale unseen: this check fails naming it, and its table is every account's freshness
    and failures at a glance. An account that never polled has no file, and fails too.
    """
    limit = timedelta(minutes=settings.get("AVAILABILITY_FRESHNESS_MINUTES"))
    now = datetime.now(UTC)

    def last_tick(account: Account) -> tuple | None:
        bound = warehouse.for_account(account)
        if bound.database != ":memory:" and not Path(bound.database).is_file():
            return None
        with bound.connection(read_only=True) as con:
            return next(iter(fetch_all(con, "checks/last_tick.sql")), None)

    rows, stale = [], []
    for run in for_every_account(last_tick, accounts.configured()):
        row = {"account": run.account.name, "last_tick": "", "ended_at": "", "age_seconds": None}
        tick = run.value
        if tick is not None:
            age = now - tick[2]
            row.update(
                last_tick=tick[0],
                ended_at=tick[2].isoformat(timespec="seconds"),
                age_seconds=round(age.total_seconds(), 1),
            )
        problem = run.error or _problem(tick, now, limit)
        row.update(
            landed="yes" if tick is not None and tick[4] else "no",
            scopes_failed=tick[5] if tick is not None else None,
            problem=(problem or "")[:200],
        )
        rows.append(row)
        if problem:
            stale.append(run.account.name)
    return AssetCheckResult(
        passed=not stale,
        metadata={
            "accounts": accounts_table(rows),
            "accounts_failing": stale,
            "limit_seconds": MetadataValue.float(limit.total_seconds()),
        },
    )


def _problem(tick: tuple | None, now: datetime, limit: timedelta) -> str | None:
    """Why an account's last tick does not count (None: fresh and landed)."""
    if tick is None:
        return NOTHING_POLLED
    if now - tick[2] > limit:
        return f"last tick ended {round((now - tick[2]).total_seconds())} s ago"
    if not tick[4]:
        return f"last tick landed nothing: {tick[5]} scope(s) failed"
    return None
