"""Contact volume: what a first 28-day sync and an incremental run cost against the simulator.

The simulator runs as a real HTTP server on 127.0.0.1 with its default tenant (200 agents,
4 queues, the skill breakdown on, times in milliseconds) and its rate window on the model
clock (60 a minute); the request planner runs on the same clock with the default budget (60,
availability's one request a minute kept free). Runs follow the schedule: every run is 15
simulated minutes after the previous one, with the default settings (KORE_CALLVOLUME_*: page
size 100, 40 pages a run), until the first sync completes; then one incremental run 15
minutes later. Printed per run: pages, rows, restated rows, requests, 429s, wall seconds
(this machine, shared: a figure, not a target). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from pipelines.kore import KoreSettings, RequestPlanner
from pipelines.polling.volume import VolumeSettings, sync_volume
from pipelines.simulator import SimulatorConfig, SimulatorServer
from pipelines.warehouse import connect

START = datetime(2026, 3, 10, 15, 7, 30, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=28, help="first sync days (default 28)")
    parser.add_argument("--restate", type=int, default=4, help="simulator restates N intervals")
    args = parser.parse_args()
    at = [START]
    clock = lambda: at[0]  # noqa: E731
    config = SimulatorConfig(rate_clock="model", callvolume_restate_last=args.restate)
    volume = VolumeSettings(first_sync_days=args.days)
    with tempfile.TemporaryDirectory() as folder, SimulatorServer(config, clock=clock) as server:
        database = str(Path(folder) / "volume.duckdb")
        env = server.env()
        settings = KoreSettings(
            host=env["KORE_HOST"],
            bot_id=env["KORE_BOT_ID"],
            account_id=env["KORE_ACCOUNT_ID"],
            client_id=env["KORE_CLIENT_ID"],
            client_secret=env["KORE_CLIENT_SECRET"],
            org_id=env["KORE_ORG_ID"],
        )
        planner = RequestPlanner(":memory:", 60, clock=lambda: at[0].timestamp())
        # Building the simulator's days (contacts routed over agents) is the simulator's
        # cost, not the client's: warm it so the timings below are the sync's.
        warm = time.perf_counter()
        server.simulator.contact_volume(START - timedelta(days=args.days + 1), START, True)
        print(f"simulator warm-up (building {args.days + 1} days): "
              f"{time.perf_counter() - warm:.1f} s")  # fmt: skip
        print("run  kind         pages  rows   restated  requests  429s  wall_s  stopped")
        total = {"pages": 0, "rows": 0, "requests": 0, "wall": 0.0}
        run = 0
        first_done = False
        while True:
            run += 1
            before = server.requests_by_route().get("callvolume", {})
            started = time.perf_counter()
            outcome = sync_volume(
                partial(connect, database), settings, volume, planner=planner, clock=clock
            )
            wall = time.perf_counter() - started
            after = server.requests_by_route().get("callvolume", {})
            limited = after.get(429, 0) - before.get(429, 0)
            kind = "first sync" if outcome.window and outcome.window.first_sync else "incremental"
            print(
                f"{run:>3}  {kind:<11}  {outcome.pages:>5}  {outcome.rows:>5}  "
                f"{outcome.restated:>8}  {outcome.requests:>8}  {limited:>4}  {wall:>6.2f}  "
                f"{outcome.stopped}"
            )
            if kind == "first sync":
                total["pages"] += outcome.pages
                total["rows"] += outcome.rows
                total["requests"] += outcome.requests
                total["wall"] += wall
            at[0] += timedelta(minutes=15)
            if first_done:
                break
            first_done = outcome.stopped == "complete"
        print(
            f"first {args.days}-day sync: {total['pages']} pages, {total['rows']} rows, "
            f"{total['requests']} requests, {total['wall']:.1f} s of wall time over {run - 1} "
            "run(s) 15 minutes apart"
        )


if __name__ == "__main__":
    main()
