"""Coverage at scale: 14 days x 1,000 agents x 1-minute ticks, each agent in about 5 scopes.

The history (about 100 million snapshot rows) is written by ``availability seed-history`` in
a separate process, so this process's peak memory is the rebuild's alone. Timed: the full
spans + coverage rebuild of every day, and one day's partition. Baseline in the same run: a
straightforward pandas implementation of the same per-cell averages on one day, also in a
separate process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from benchmarks.common import Figure, emit, peak_rss_mb, say
from pipelines.coverage import CoverageSettings, build_coverage, build_spans, day_bounds
from pipelines.resources import DEFAULT_SCOPES
from pipelines.warehouse import connect

ZONE = "America/New_York"


def seed(database: Path, days: int, agents: int, end: date) -> None:
    command = [
        sys.executable, "-m", "pipelines.cli", "seed-history", "--days", str(days),
        "--agents", str(agents), "--seed", "7", "--database", str(database),
        "--scopes", str(DEFAULT_SCOPES), "--time-zone", ZONE,
        "--end", day_bounds(end, ZONE)[0].isoformat(),
    ]  # fmt: skip
    subprocess.run(command, check=True, stdout=sys.stderr)


def pandas_day(database: str, day: str, max_gap: float) -> dict[str, float]:
    """The same per-cell time-weighted averages, written the obvious way in pandas."""
    start, end = day_bounds(date.fromisoformat(day), ZONE)
    with connect(database, read_only=True) as con:
        polls = con.execute(
            "SELECT scope_key, observed_at FROM raw_responses WHERE outcome = 'ok' "
            "AND observed_at >= ? AND observed_at < ?",
            [start, end],
        ).df()
        snaps = con.execute(
            "SELECT scope_key, agent_id, observed_at, status FROM snapshots "
            "WHERE observed_at >= ? AND observed_at < ?",
            [start, end],
        ).df()
    started = time.perf_counter()
    polls = polls.drop_duplicates().sort_values(["scope_key", "observed_at"])
    following = polls.groupby("scope_key")["observed_at"].shift(-1)
    limit = polls["observed_at"] + pd.Timedelta(seconds=max_gap)
    polls["window_end"] = following.where(following < limit, limit).fillna(limit)
    rows = snaps.merge(polls, on=["scope_key", "observed_at"])
    cell = rows["observed_at"].dt.floor("15min")
    cell_end = cell + pd.Timedelta(minutes=15)
    first = (rows["window_end"].where(rows["window_end"] < cell_end, cell_end)
             - rows["observed_at"]).dt.total_seconds()  # fmt: skip
    second = (rows["window_end"] - cell_end).dt.total_seconds().clip(lower=0)
    parts = pd.concat(
        [
            pd.DataFrame({"scope_key": rows["scope_key"], "cell": cell,
                          "status": rows["status"], "seconds": first}),
            pd.DataFrame({"scope_key": rows["scope_key"], "cell": cell_end,
                          "status": rows["status"], "seconds": second}),
        ]
    )  # fmt: skip
    per_status = parts.groupby(["scope_key", "cell", "status"])["seconds"].sum()
    observed = polls.assign(cell=polls["observed_at"].dt.floor("15min"))
    observed["seconds"] = (observed["window_end"] - observed["observed_at"]).dt.total_seconds()
    observed = observed.groupby(["scope_key", "cell"])["seconds"].sum()
    averages = per_status / observed
    elapsed = time.perf_counter() - started
    return {"rows": len(snaps), "seconds": elapsed, "cells": int(averages.size)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep this database")
    parser.add_argument("--pandas-day", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--day", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    settings = CoverageSettings(time_zone=ZONE)
    if args.pandas_day:  # the baseline's own process
        print(json.dumps(pandas_day(args.database, args.day, settings.max_gap_seconds)))
        return
    end = date(2026, 11, 23)
    days = [end - timedelta(days=n) for n in range(args.days, 0, -1)]
    with tempfile.TemporaryDirectory() as folder:
        database = args.keep or Path(folder) / "coverage.duckdb"
        if not database.exists():
            started = time.perf_counter()
            seed(database, args.days, args.agents, end)
            say(f"coverage: seeded in {time.perf_counter() - started:.1f} s")
        with connect(database) as con:
            total_rows = con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0]
            say(f"coverage: {total_rows:,} snapshot rows over {len(days)} days")
            per_day = []
            started = time.perf_counter()
            for day in days:
                t = time.perf_counter()
                build_spans(con, day, settings)
                build_coverage(con, day, settings)
                per_day.append(time.perf_counter() - t)
            full = time.perf_counter() - started
            one_day_rows = con.execute(
                "SELECT count(*) FROM snapshots WHERE observed_at >= ? AND observed_at < ?",
                list(day_bounds(days[-1], ZONE)),
            ).fetchall()[0][0]
            t = time.perf_counter()
            build_spans(con, days[-1], settings)
            build_coverage(con, days[-1], settings)
            one_day = time.perf_counter() - t
        rss = peak_rss_mb()
        say(f"  full rebuild {full:.1f} s ({total_rows / full:,.0f} rows/s)")
        say(f"  one day {one_day:.2f} s ({one_day_rows:,} rows)")
        probe = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_coverage", "--pandas-day",
             "--database", str(database), "--day", days[-1].isoformat()],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        baseline = json.loads(probe.stdout.strip().splitlines()[-1])
    pandas_rate = baseline["rows"] / baseline["seconds"]
    day_rate = one_day_rows / one_day
    say(f"  pandas, one day: {baseline['seconds']:.2f} s ({pandas_rate:,.0f} rows/s)")
    emit(
        [
            Figure(
                "coverage",
                "full spans + coverage rebuild, snapshot rows/s",
                total_rows / full,
                "rows/s",
                None,
                "",
                ">= 10,000,000 rows/s",
                total_rows / full >= 10_000_000,
            ),
            Figure(
                "coverage",
                "one day's partition (spans + coverage), rows/s",
                day_rate,
                "rows/s",
                pandas_rate,
                "pandas, same metric, same day",
                "ratio >= 5",
                day_rate >= 5 * pandas_rate,
            ),
            Figure(
                "coverage",
                "peak RSS of the rebuild process",
                rss,
                "MB",
                None,
                "",
                "< 2048 MB",
                rss < 2048,
            ),
        ],  # fmt: skip
        {
            "snapshot_rows": total_rows,
            "full_rebuild_s": full,
            "one_day_s": one_day,
            "one_day_rows": one_day_rows,
            "per_day_s": per_day,
            "pandas": baseline,
        },
    )


if __name__ == "__main__":
    main()
