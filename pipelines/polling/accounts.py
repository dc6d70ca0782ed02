"""One tick of every account: each in its own thread, with its own credentials, budget ledger,
DuckDB file and failures.

One Dagster run per tick serves every account, since a run costs seconds where a tick costs a
fraction of one. Accounts run side by side, so a slow account delays none of the others' rows
(each lands in its own file as soon as its answers are in), and whatever one account raises
(a missing secret, refused credentials, a locked or foreign file) is that account's outcome,
not the run's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from pipelines.kore import KoreConfigError
from pipelines.polling.per_scope import TickOutcome
from pipelines.settings import SettingsError

__all__ = ["AccountTick", "poll_every_account"]

# Errors that are a setting to fix (the message names it), not a fault of the service.
CONFIGURATION_ERRORS = (KoreConfigError, SettingsError)


@dataclass(frozen=True)
class AccountTick:
    """One account's part of a tick: its outcome, or the one-line error that stopped it."""

    account: str
    outcome: TickOutcome | None
    error: str | None = None
    error_kind: str | None = None  # "configuration" or the exception's type name
    ended_at: datetime | None = None

    @property
    def landed(self) -> bool:
        """Whether any of the account's scopes answered and landed."""
        return self.outcome is not None and any(r.ok for r in self.outcome.results)


def _one(account: str, tick: Callable[[], TickOutcome]) -> AccountTick:
    try:
        outcome = tick()
    except CONFIGURATION_ERRORS as exc:
        return AccountTick(account, None, str(exc), "configuration", datetime.now(UTC))
    except Exception as exc:  # noqa: BLE001 - one account's failure is its outcome, not the run's
        return AccountTick(
            account, None, f"{type(exc).__name__}: {exc}", type(exc).__name__, datetime.now(UTC)
        )
    return AccountTick(account, outcome, ended_at=datetime.now(UTC))


def poll_every_account(ticks: Mapping[str, Callable[[], TickOutcome]]) -> list[AccountTick]:
    """Run each account's tick (name -> function) at once; their outcomes in the given order.

    Each function polls and lands one account; it runs in a thread of its own, so the others
    never wait for it, and every exception it raises is caught into its :class:`AccountTick`.
    """
    if len(ticks) == 1:
        ((name, tick),) = ticks.items()
        return [_one(name, tick)]
    with ThreadPoolExecutor(max_workers=len(ticks), thread_name_prefix="account") as pool:
        futures = [pool.submit(_one, name, tick) for name, tick in ticks.items()]
        return [future.result() for future in futures]
