"""Serving every account from one unpartitioned asset, check or sensor.

Coverage runs one account per run (account × day partitions bind the resources), but the poll,
contact volume, retention, their checks and the alert sensor have no partition to bind: they
loop the configured accounts themselves. Each account runs in a thread of its own, with its
own resources (``for_account``), and whatever it raises is its own outcome: a missing secret,
a locked or foreign file or a refusing server in one account never keeps the others from
being served. A deployment without an accounts file runs exactly as before (one account, the
resources as given, the single-account metadata).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, MarkdownMetadataValue, MetadataValue

from pipelines import accounts
from pipelines.accounts import Account
from pipelines.kore import KoreConfigError
from pipelines.markdown import markdown_table
from pipelines.resources import WarehouseResource
from pipelines.settings import SettingsError

__all__ = [
    "AccountRun",
    "accounts_table",
    "check_every_account",
    "for_every_account",
    "plain",
]

T = TypeVar("T")

# Errors that are a setting to fix (the message names it), not a fault of the service.
CONFIGURATION_ERRORS = (KoreConfigError, SettingsError)

# Metadata values shown as a column of the accounts table; anything else (tables, lists) is
# kept whole under "<account>/<key>".
_SCALARS = (int, float, str, bool)


@dataclass(frozen=True)
class AccountRun(Generic[T]):
    """One account's part: what its work returned, or the one-line error that stopped it."""

    account: Account
    value: T | None = None
    error: str | None = None
    ended_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        return self.error is None


def _one(account: Account, work: Callable[[Account], T]) -> AccountRun[T]:
    try:
        return AccountRun(account, work(account))
    except CONFIGURATION_ERRORS as exc:
        return AccountRun(account, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - one account's failure is its outcome, not the run's
        return AccountRun(account, error=f"{type(exc).__name__}: {exc}")


def for_every_account(
    work: Callable[[Account], T], served: Sequence[Account] | None = None
) -> list[AccountRun[T]]:
    """``work(account)`` for every configured account at once; results in the accounts' order.

    Side by side, so a slow account (a lock held, a server that takes its time) delays none of
    the others, and the whole stays within one account's time: what a sensor's 60 s limit needs.
    """
    served = accounts.configured() if served is None else served
    if len(served) == 1:
        return [_one(served[0], work)]
    with ThreadPoolExecutor(max_workers=len(served), thread_name_prefix="account") as pool:
        futures = [pool.submit(_one, account, work) for account in served]
        return [future.result() for future in futures]


def accounts_table(rows: list[dict[str, Any]]) -> MetadataValue:
    """One row per account as Markdown (columns: the union of the rows' keys, in order)."""
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    return MetadataValue.md(markdown_table(pd.DataFrame(rows, columns=columns)))


def plain(value: Any) -> Any:
    """A metadata value as the plain Python value inside it."""
    return value.value if isinstance(value, MetadataValue) else value


def check_every_account(
    warehouse: WarehouseResource,
    judge: Callable[[WarehouseResource], AssetCheckResult],
    nothing_yet: Callable[[], AssetCheckResult] | None = None,
    judge_for: Callable[[Account], Callable[[WarehouseResource], AssetCheckResult]] | None = None,
) -> AssetCheckResult:
    """A check of an unpartitioned asset, judged in every account's own file.

    Without an accounts file: ``judge(warehouse)`` as it is. With one: ``judge`` runs on each
    account's file (read-only); the check passes when every account passes, at the gravest
    severity among those that fail, and its metadata is one table with a row per account (the
    scalar figures of each) plus each account's tables under ``<account>/<key>``. An account
    whose file does not exist yet gets ``nothing_yet()`` (None: passes, nothing to judge); one
    whose file cannot be read fails the check at ERROR, naming the reason. ``judge_for``, when
    given, makes the judge of each account of the file (one that needs more than its file).
    """
    if not accounts.is_multi():
        return judge(warehouse)

    def one(account: Account) -> AssetCheckResult | None:
        bound = warehouse.for_account(account)
        if not Path(bound.database).is_file():
            return nothing_yet() if nothing_yet else None
        return (judge_for(account) if judge_for else judge)(bound)

    rows: list[dict[str, Any]] = []
    metadata: dict[str, Any] = {}
    passed, severity = True, AssetCheckSeverity.WARN
    for run in for_every_account(one):
        name, result = run.account.name, run.value
        row: dict[str, Any] = {"account": name}
        if not run.ok:
            row.update(passed="no", error=(run.error or "")[:200])
            passed, severity = False, AssetCheckSeverity.ERROR
        elif result is None:
            row.update(passed="yes", note="no DuckDB file yet: nothing to judge")
        else:
            row["passed"] = "yes" if result.passed else "no"
            if not result.passed:
                passed = False
                if result.severity == AssetCheckSeverity.ERROR:
                    severity = AssetCheckSeverity.ERROR
            for key, value in (result.metadata or {}).items():
                scalar = plain(value)
                if isinstance(scalar, _SCALARS) and not isinstance(value, MarkdownMetadataValue):
                    row[key] = scalar
                else:
                    metadata[f"{name}/{key}"] = value
        rows.append(row)
    failing = [row["account"] for row in rows if row["passed"] == "no"]
    return AssetCheckResult(
        passed=passed,
        severity=severity,
        metadata={"accounts": accounts_table(rows), "accounts_failing": failing, **metadata},
    )
