"""How far poll-based (provisional) coverage is from the exact (finalized) coverage over a
simulated week, per polling interval: the figure the reconciliation check warns on.

For each polling interval, a fresh DuckDB file gets the simulator model's polls of the week
(synthetic history: what a perfect poller at that interval stores, every scope of the scopes
file), the week's exact history fetched from the simulator over HTTP (Agent Status Details,
as the history asset does), and the model's membership as the listing; every day is then
built finalized, which keeps the poll-based figures beside the exact ones
(``coverage_reconciliation``). Printed per interval: the MAE of available and on-queue agents
per 15-minute cell, in agents and as a share of the exact mean, over the 'all' scope and over
every scope (cells weighted equally), whole days, and 09:00-15:00 local for 'all'; the poll
windows last two polling intervals (AVAILABILITY_MAX_GAP_SECONDS = 2 x the interval). The
synthetic polls carry no channel capacity, so every polled BUSY counts as on queue (the
exact history tells Training and Login Prep apart): the on-queue MAE includes that. Nothing
is asserted; run ``python -m scripts.poll_vs_history`` (about a minute with the defaults).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import pandas as pd

from pipelines import coverage
from pipelines.coverage import CoverageSettings, day_bounds
from pipelines.kore import RequestPlanner
from pipelines.polling.history import HistorySettings, sync_history
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES
from pipelines.simulator import SimulatorConfig, SimulatorServer
from pipelines.simulator.history import seed_history
from pipelines.warehouse import PiiPolicy, apply_membership, connect, membership
from tests.support.kore import simulator_settings

ZONE = "America/New_York"
FIRST = date(2026, 10, 12)  # a Monday


def _membership(server: SimulatorServer, at: datetime) -> pd.DataFrame:
    """The model's skills and queues at ``at``, as the agents listing gives them."""
    rows = []
    for scope in load_scopes(DEFAULT_SCOPES):
        if scope.kind not in ("skill", "queue"):
            continue
        for agent_id in server.simulator.scope_members(scope.key, at):
            agent = server.simulator.agent(agent_id)
            rows.append((agent_id, agent.user_id, scope.key, scope.kind, scope.ref_id, scope.name))
    return pd.DataFrame(rows, columns=list(membership.MEMBERSHIP_COLUMNS))


def _week(server: SimulatorServer, database: str, days: list[date], tick: int, seed: int) -> None:
    start, _ = day_bounds(days[0], ZONE)
    _, end = day_bounds(days[-1], ZONE)
    # A window lasts two polling intervals (AVAILABILITY_MAX_GAP_SECONDS's default at 60 s).
    settings = CoverageSettings(time_zone=ZONE, max_gap_seconds=2 * tick)
    with connect(database) as con:
        seed_history(
            con,
            start=start - timedelta(minutes=5),
            end=end,
            agents=server.simulator.config.agents,
            seed=seed,
            scopes=load_scopes(DEFAULT_SCOPES),
            tick_seconds=tick,
            time_zone=ZONE,
        )
    now = end + timedelta(hours=12)
    outcome = sync_history(
        partial(connect, database),
        simulator_settings(server.env()),
        HistorySettings(time_zone=ZONE, ask="utc", pages_per_run=1000),
        days=days,
        planner=RequestPlanner(":memory:", 600, clock=now.timestamp),
        clock=lambda: now,
        pii=PiiPolicy("hash"),
    )
    assert outcome.stopped == "complete", outcome.error_text
    account = simulator_settings(server.env()).account_id
    with connect(database) as con:
        apply_membership(con, account, start, _membership(server, start))
        for day in days:
            coverage.build_spans(con, day, settings, now)
            coverage.build_coverage(con, day, settings, now)


def _figures(database: str) -> dict[str, float]:
    with connect(database, read_only=True) as con:
        cells = con.execute(
            "SELECT scope_key, avg_available, polled_available, avg_on_queue, polled_on_queue, "
            "hour(local_start) AS hour FROM coverage_intervals "
            "WHERE basis = 'finalized' AND polled_seconds = observed_seconds"
        ).df()

    def mae(frame: pd.DataFrame, exact: str, polled: str) -> tuple[float, float]:
        error = (frame[polled] - frame[exact]).abs().mean()
        return float(error), float(error / frame[exact].mean())

    whole = cells[cells["scope_key"] == "all"]
    core = whole[(whole["hour"] >= 9) & (whole["hour"] < 15)]
    out = {}
    for label, frame in (("all", whole), ("all 09-15", core), ("every scope", cells)):
        out[f"{label} available"] = mae(frame, "avg_available", "polled_available")
        out[f"{label} on-queue"] = mae(frame, "avg_on_queue", "polled_on_queue")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=60)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--ticks", default="60,120,300", help="polling intervals, seconds")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    days = [FIRST + timedelta(days=n) for n in range(args.days)]
    _, end = day_bounds(days[-1], ZONE)
    clock = end + timedelta(hours=12)
    config = SimulatorConfig(agents=args.agents, seed=args.seed, rate_limit_per_minute=None)
    print(f"{args.agents} agents, {days[0]} .. {days[-1]} ({ZONE}), 15-minute cells")
    print("poll_s  figure                   MAE_agents  share_of_exact_mean")
    with SimulatorServer(config, clock=lambda: clock) as server:
        for tick in (int(t) for t in args.ticks.split(",")):
            began = time.perf_counter()
            with tempfile.TemporaryDirectory() as folder:
                database = str(Path(folder) / "week.duckdb")
                _week(server, database, days, tick, args.seed)
                figures = _figures(database)
            for name, (agents, share) in figures.items():
                print(f"{tick:>6}  {name:<24} {agents:>10.3f}  {share * 100:>18.1f}%")
            print(f"        ({time.perf_counter() - began:.0f} s)")
    print(f"finished {datetime.now(UTC):%H:%M:%S} UTC")


if __name__ == "__main__":
    main()
