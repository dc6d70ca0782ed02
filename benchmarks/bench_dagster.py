"""Dagster overhead: one poll run through the Dagster CLI versus the same poll called directly.

Both poll the same simulator into the same kind of fresh DuckDB file; the difference is what
orchestration costs per tick (process start, code location load, run bookkeeping).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

from benchmarks.common import Figure, emit, say
from pipelines.demo import ensure_dagster_home, materialize, running_simulator, simulator_env
from pipelines.kore import KoreSettings
from pipelines.polling import run_tick
from pipelines.resources import DEFAULT_SCOPES
from pipelines.scopes import load_scopes
from pipelines.warehouse import connect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    scopes = load_scopes(DEFAULT_SCOPES)
    with tempfile.TemporaryDirectory() as folder, running_simulator(["--rate-limit", "0"]) as url:
        sim = simulator_env(url)
        settings = replace(KoreSettings.from_env(sim), rate_limit_per_minute=10_000)
        direct, cli = [], []
        for run in range(args.runs):
            database = Path(folder) / f"direct-{run}.duckdb"
            started = time.perf_counter()
            run_tick(partial(connect, database), settings, scopes, tick_id=f"direct-{run}")
            direct.append(time.perf_counter() - started)
            env = {
                **os.environ,
                **sim,
                "KORE_RATE_LIMIT_PER_MINUTE": "10000",
                "AVAILABILITY_DB": str(Path(folder) / f"cli-{run}.duckdb"),
                "DAGSTER_HOME": str(ensure_dagster_home(Path(folder) / "home")),
            }
            cli.append(materialize("availability_snapshots", env))
            say(f"  run {run + 1}: direct {direct[-1]:.2f} s, Dagster CLI {cli[-1]:.2f} s")
    direct_s, cli_s = statistics.median(direct), statistics.median(cli)
    emit(
        [
            Figure(
                "dagster",
                "poll tick through `dagster asset materialize` (median)",
                cli_s,
                "s",
                direct_s,
                "run_tick called directly",
                "informational",
            ),  # fmt: skip
        ],
        {"direct_s": direct, "cli_s": cli, "overhead_s": cli_s - direct_s},
    )


if __name__ == "__main__":
    main()
