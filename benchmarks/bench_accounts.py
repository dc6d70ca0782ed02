"""Several accounts: one poll tick for 1, 3 and 10 Kore.ai accounts in one Dagster run.

The poll asset serves every account of the accounts file in a thread of its own
(``for_every_account``) so that a tick of N accounts costs about one account's time, not N
times it: that is what keeps a minute's tick within its minute as accounts are added. This
measures how far that holds, against one account (an accounts file of one entry, so the
baseline runs the same code path).

Each account is a simulator of its own (``SimulatorServer``: its own seed and Kore account ID,
no rate limit) on 127.0.0.1, in this process, as the integration tests run them: its
threads answer under the poller's interpreter lock, so a figure includes building the answers
(about 10 ms for 200 agents, where a real Kore answers elsewhere). Acquisition is the default
``auto`` (membership). Every account's file is warmed by three untimed ticks (the membership listing
takes the first two, the drift check the third), so each timed tick is the one a deployment
runs minute after minute: one availability request per account and its write (the ticks
table is checked for that afterwards). Two measures per size, each account in a DuckDB file
of its own per measure:

- tick: ``materialize([availability_snapshots])`` in process on an ephemeral Dagster
  instance, AVAILABILITY_ACCOUNTS_FILE naming the size's accounts (read at run time);
- poll alone: the same work without Dagster, ``pipelines.polling.poll`` for every account
  through ``for_every_account`` as the asset calls it, so the two differ by Dagster's share.

A round runs every size of the tick, then every size of the poll; ratios are N accounts
against 1 account of the same round.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, materialize

from benchmarks.common import (
    Figure,
    add_arguments,
    chosen_sizes,
    emit,
    interleave,
    peak_rss_mb,
    say,
)
from pipelines.accounts import Account, load_accounts
from pipelines.defs.ingest.assets import availability_snapshots, poll_account
from pipelines.defs.per_account import for_every_account
from pipelines.resources import KoreResource, ScopesResource, WarehouseResource
from pipelines.settings import DEFAULT_SCOPES
from pipelines.simulator import SimulatorConfig, SimulatorServer
from pipelines.warehouse import connect
from tests.support.accounts import write_accounts

FULL = {"accounts": [3, 10], "agents": 200}
QUICK = {"accounts": [2, 3], "agents": 20}
WARM_TICKS = 3  # membership listing, then the drift check: neither recurs within the hour
# The planner's budget never decides a timed tick (the budget is what bench_acquisition is for).
RATE_LIMIT = 10_000
# Dagster's console logger prints every event at DEBUG: warnings are enough for a timing.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def start_simulators(count: int, agents: int) -> list[SimulatorServer]:
    """One simulator per account, each with its own roster (seed) and Kore account ID."""
    return [
        SimulatorServer(
            SimulatorConfig(
                agents=agents, seed=100 + i, account_id=f"bench-{i}", rate_limit_per_minute=None
            )
        ).start()
        for i in range(count)
    ]


class Size:
    """One measure at one number of accounts: its accounts file, its files, its timed ticks."""

    def __init__(self, folder: Path, kind: str, servers: list[SimulatorServer]) -> None:
        self.kind, self.n = kind, len(servers)
        names = {f"acct-{i}": server for i, server in enumerate(servers)}
        (folder / f"{kind}-{self.n}").mkdir()
        self.path = folder / f"{kind}-{self.n}.toml"
        databases = {name: {"database": f"{kind}-{self.n}/{name}.duckdb"} for name in names}
        env = write_accounts(self.path, names, databases)
        os.environ.update({k: v for k, v in env.items() if k != "AVAILABILITY_ACCOUNTS_FILE"})
        self.served: tuple[Account, ...] = load_accounts(self.path)
        self.timed: list[str] = []


def resources(folder: Path) -> dict[str, Any]:
    """What a deployment gives the poll; the run binds it to each account."""
    return {
        "kore": KoreResource(rate_limit_per_minute=RATE_LIMIT),
        "scopes": ScopesResource(path=str(DEFAULT_SCOPES)),
        "warehouse": WarehouseResource(database=str(folder / "unused.duckdb")),
    }


def dagster_tick(size: Size, given: dict[str, Any], instance: DagsterInstance) -> str:
    """One run of the asset over the size's accounts; returns its tick ID."""
    os.environ["AVAILABILITY_ACCOUNTS_FILE"] = str(size.path)
    result = materialize(
        [availability_snapshots], resources=given, instance=instance, run_config=QUIET
    )
    [event] = result.get_asset_materialization_events()
    landed = event.materialization.metadata["accounts_landed"].value
    if landed != size.n:
        raise RuntimeError(f"tick of {size.n} accounts: only {landed} landed")
    return f"run-{result.run_id}"


def poll_alone(size: Size, given: dict[str, Any], tick_id: str) -> str:
    """Every account's poll side by side as the asset runs it, without a Dagster run."""
    kore, scopes, warehouse = given["kore"], given["scopes"], given["warehouse"]

    def one(account: Account) -> Any:
        return poll_account(account, kore, scopes, warehouse, tick_id)

    runs = for_every_account(one, size.served)
    failed = [r.error or "no rows" for r in runs if not r.ok or not r.value.counts["snapshot_rows"]]
    if failed:
        raise RuntimeError(f"poll of {size.n} accounts: {failed[0]}")
    return tick_id


def timed(size: Size, tick: Callable[[], str]) -> Callable[[], float]:
    """A measure: the seconds of one tick, whose ID is kept for the steady-state check."""

    def measure() -> float:
        started = time.perf_counter()
        tick_id = tick()
        elapsed = time.perf_counter() - started
        size.timed.append(tick_id)
        return elapsed

    return measure


def beyond_availability(size: Size) -> int:
    """Timed ticks (summed over accounts) that sent more than their one availability request
    or did not poll by membership: should be 0, else the figure is not a steady tick."""
    extra = 0
    for account in size.served:
        with connect(account.database, read_only=True) as con:
            rows = con.execute("SELECT tick_id, requests, mode FROM ticks").fetchall()
        extra += sum(1 for t, r, m in rows if t in size.timed and (r != 1 or m != "membership"))
    return extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser, FULL, QUICK)
    args = parser.parse_args()
    size = chosen_sizes(args, FULL, QUICK)
    counts, agents = [1, *size["accounts"]], size["agents"]
    say(f"accounts: {counts} accounts x {agents} agents, {args.repeat} rounds")
    servers = start_simulators(max(counts), agents)
    instance = DagsterInstance.ephemeral()
    numbers = iter(range(1_000_000))
    try:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            given = resources(folder)
            os.environ["AVAILABILITY_DB"] = str(folder / "unused.duckdb")
            sizes = {
                (kind, n): Size(folder, kind, servers[:n])
                for kind in ("tick", "poll")
                for n in counts
            }
            ticks: dict[tuple[str, int], Callable[[], str]] = {}
            for (kind, n), one in sizes.items():
                ticks[kind, n] = (
                    (lambda one=one: dagster_tick(one, given, instance))
                    if kind == "tick"
                    else (lambda one=one: poll_alone(one, given, f"bench-{next(numbers)}"))
                )
                for _ in range(WARM_TICKS):
                    ticks[kind, n]()
            say("accounts: every account's file warmed")
            runs = interleave(
                {f"{kind} {n}": timed(sizes[kind, n], ticks[kind, n]) for kind, n in sizes},
                args.repeat,
            )
            extra = {f"{kind} {n}": beyond_availability(s) for (kind, n), s in sizes.items()}
    finally:
        for server in servers:
            server.stop()
    if any(extra.values()):
        say(f"accounts: WARNING timed ticks beyond one availability request: {extra}")
    label = f"{agents} agents each, 127.0.0.1"
    figures = [
        Figure(
            "accounts",
            f"{title}, {n} accounts ({label})",
            runs[f"{kind} {n}"],
            "s",
            runs[f"{kind} 1"],
            "1 account",
            f"ratio < {n} (side by side beats one after another)",
        )
        for kind, title in (("tick", "Dagster tick"), ("poll", "poll alone"))
        for n in counts[1:]
    ]
    for figure, n in zip(figures, counts[1:] * 2, strict=True):
        figure.met = figure.ratio is not None and figure.ratio.median < n
    figures.append(
        Figure(
            "accounts",
            f"Dagster tick, 1 account ({label})",
            runs["tick 1"],
            "s",
            runs["poll 1"],
            "poll alone",
            "informational: Dagster's share of a tick",
        )
    )
    emit(
        figures,
        {"accounts": counts, "agents": agents, "ticks_beyond_availability": extra,
         "peak_rss_mb": peak_rss_mb()},
    )  # fmt: skip


if __name__ == "__main__":
    main()
