"""Dagster overhead: one poll run through the Dagster CLI versus the same poll called directly.

Both poll the same simulator into the same kind of fresh DuckDB file; the difference is what
orchestration costs per tick (process start, code location load, run bookkeeping). The two
alternate round by round, each into a fresh database file.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import tempfile
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

from benchmarks.common import Figure, add_arguments, emit, interleave
from pipelines.demo import ensure_dagster_home, materialize, running_simulator, simulator_env
from pipelines.kore import KoreSettings
from pipelines.polling import run_tick
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES
from pipelines.warehouse import connect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser)  # no sizes: the configured scopes against a default simulator
    args = parser.parse_args()
    scopes = load_scopes(DEFAULT_SCOPES)
    with tempfile.TemporaryDirectory() as folder, running_simulator(["--rate-limit", "0"]) as url:
        sim = simulator_env(url)
        settings = replace(KoreSettings.from_env(sim), rate_limit_per_minute=10_000)
        fresh = itertools.count()

        def direct() -> float:
            n = next(fresh)
            started = time.perf_counter()
            run_tick(partial(connect, Path(folder) / f"direct-{n}.duckdb"), settings, scopes,
                     tick_id=f"direct-{n}")  # fmt: skip
            return time.perf_counter() - started

        def cli() -> float:
            env = {
                **os.environ,
                **sim,
                "KORE_RATE_LIMIT_PER_MINUTE": "10000",
                "AVAILABILITY_DB": str(Path(folder) / f"cli-{next(fresh)}.duckdb"),
                "DAGSTER_HOME": str(ensure_dagster_home(Path(folder) / "home")),
            }
            return materialize("availability_snapshots", env)

        runs = interleave({"Dagster CLI": cli, "run_tick": direct}, args.repeat)
    figure = Figure(
        "dagster",
        "poll tick through `dagster asset materialize`",
        runs["Dagster CLI"],
        "s",
        runs["run_tick"],
        "run_tick called directly",
        "informational",
    )
    overheads = [c - d for c, d in zip(runs["Dagster CLI"], runs["run_tick"], strict=True)]
    emit([figure], {"overhead_s": overheads, "median_overhead_s": statistics.median(overheads)})


if __name__ == "__main__":
    main()
