"""Status history: what fetching one closed day of a large tenant costs against the simulator.

The simulator runs as a real HTTP server on 127.0.0.1 with ``--agents`` agents (default 2,000)
and its rate window on the model clock (60 a minute, as Kore); the request planner runs on the
same clock with the default budget (60, availability's one request a minute kept free). The
day is fetched as the asset does (waiting for the planner's next slot rather than stopping),
once per way of asking (KORE_STATUS_HISTORY_ASK utc and local_noon). Printed per way: pages,
requests, 429s, rows, raw page bytes stored, minutes of the account's budget the requests are
(requests / the 59 a minute left after availability), minutes waited for slots (model time),
wall seconds (this machine, shared: a figure, not a target). Then the day is rebuilt
finalized from the fetched history (asked in UTC) for every scope of the scopes file, with the
model's membership as the listing and two polls before midnight (scopes and agents): spans
(spans.sql then spans_history.sql) and the grid with its reconciliation (intervals.sql,
reconcile.sql), rows and wall seconds. Nothing is asserted.
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
from pipelines.coverage.finalized import day_basis
from pipelines.kore import RequestPlanner
from pipelines.polling.history import HistorySettings, sync_history
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES
from pipelines.simulator import SimulatorConfig, SimulatorServer
from pipelines.simulator.history import seed_history
from pipelines.warehouse import PiiPolicy, apply_membership, connect, membership
from tests.support.kore import simulator_settings

NOW = datetime(2026, 10, 21, 12, 0, tzinfo=UTC)
DAY = date(2026, 10, 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=2000)
    args = parser.parse_args()
    at = [NOW]
    config = SimulatorConfig(agents=args.agents, rate_clock="model", status_details_offline=True)
    with SimulatorServer(config, clock=lambda: at[0]) as server:
        warm = time.perf_counter()
        server.simulator.timeline(NOW - timedelta(days=3), NOW)
        print(f"simulator warm-up (its days): {time.perf_counter() - warm:.1f} s")
        print("ask         pages  requests  429s  rows     page_MB  budget_min  waited_min  wall_s")
        for ask in ("utc", "local_noon"):
            at[0] = at[0] + timedelta(minutes=5)  # a fresh budget window for each way
            start = at[0]
            planner = RequestPlanner(":memory:", 60, clock=lambda: at[0].timestamp())

            def wait(seconds: float) -> None:
                at[0] += timedelta(seconds=seconds)

            before = server.requests_by_route().get("agentstatusdetails", {})
            with tempfile.TemporaryDirectory() as folder:
                database = str(Path(folder) / "history.duckdb")
                started = time.perf_counter()
                outcome = sync_history(
                    partial(connect, database),
                    simulator_settings(server.env()),
                    HistorySettings(time_zone=config.time_zone, ask=ask, pages_per_run=1000),
                    days=[DAY],
                    planner=planner,
                    clock=lambda: at[0],
                    pii=PiiPolicy("hash"),
                    wait_for_slot=wait,
                )
                wall = time.perf_counter() - started
                with connect(database, read_only=True) as con:
                    ((rows,),) = con.execute("SELECT count(*) FROM agent_status_history").fetchall()
                    ((size,),) = con.execute(
                        "SELECT sum(length(body)) FROM status_history_pages"
                    ).fetchall()
                if ask == "utc":
                    rebuilt = rebuild(server, database)
            after = server.requests_by_route().get("agentstatusdetails", {})
            limited = after.get(429, 0) - before.get(429, 0)
            waited = (at[0] - start).total_seconds() / 60
            share = outcome.requests / (planner.budget - 1)  # availability keeps one a minute
            print(
                f"{ask:<10}  {outcome.pages:>5}  {outcome.requests:>8}  {limited:>4}  {rows:>7}  "
                f"{size / 1e6:>7.1f}  {share:>10.2f}  {waited:>10.1f}  {wall:>6.1f}  "
                f"({outcome.stopped})"
            )
    print(rebuilt)


def rebuild(server: SimulatorServer, database: str) -> str:
    """Build the fetched day finalized; the line to print."""
    zone = server.simulator.config.time_zone
    start, _ = day_bounds(DAY, zone)
    scopes = load_scopes(DEFAULT_SCOPES)
    rows = [
        (a, server.simulator.agent(a).user_id, s.key, s.kind, s.ref_id, s.name)
        for s in scopes
        if s.kind in ("skill", "queue")
        for a in server.simulator.scope_members(s.key, start)
    ]
    listing = pd.DataFrame(rows, columns=list(membership.MEMBERSHIP_COLUMNS))
    settings = CoverageSettings(time_zone=zone)
    with connect(database) as con:
        seed_history(
            con, start=start - timedelta(minutes=2), end=start, agents=len(server.simulator.roster),
            seed=server.simulator.config.seed, scopes=scopes, time_zone=zone,
        )  # fmt: skip
        apply_membership(con, simulator_settings(server.env()).account_id, start, listing)
        began = time.perf_counter()
        spans = coverage.build_spans(con, DAY, settings, NOW)
        middle = time.perf_counter()
        cells = coverage.build_coverage(con, DAY, settings, NOW)
        done = time.perf_counter()
        basis = day_basis(con, DAY)
    return (
        f"rebuild ({basis.label}, {basis.finalized} scopes): {spans} spans in "
        f"{middle - began:.1f} s, {cells} cells in {done - middle:.1f} s"
    )


if __name__ == "__main__":
    main()
