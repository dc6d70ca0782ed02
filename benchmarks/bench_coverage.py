"""Coverage at scale: 14 days x 1,000 agents x 1-minute ticks, each agent in about 5 scopes.

The history (about 100 million snapshot rows) is written by ``availability seed-history`` in
a separate process. Each round then runs, each in a fresh process (so its peak memory is its
own): the full spans + coverage rebuild of every day followed by one day's partition again,
and a straightforward pandas implementation of the same per-cell averages on that day (the
baseline). The rounds alternate the two, so each one-day time is divided by the pandas time
of its own round.
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
from typing import Any

import pandas as pd

from benchmarks.common import (
    Figure,
    add_arguments,
    chosen_sizes,
    emit,
    interleave,
    peak_rss_mb,
    say,
)
from pipelines.coverage import CoverageSettings, build_coverage, build_spans, day_bounds
from pipelines.settings import DEFAULT_SCOPES
from pipelines.warehouse import connect

ZONE = "America/New_York"
FULL = {"days": 14, "agents": 1000}
QUICK = {"days": 2, "agents": 50}


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


def rebuild(database: str, days: list[date], settings: CoverageSettings) -> dict[str, Any]:
    """One round's DuckDB side: every day's spans + coverage, then the last day's again."""
    with connect(database) as con:
        total_rows = con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0]
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
    return {
        "snapshot_rows": total_rows,
        "full_rebuild_s": full,
        "per_day_s": per_day,
        "one_day_s": one_day,
        "one_day_rows": one_day_rows,
        "peak_rss_mb": peak_rss_mb(),
    }


def child(*args: str) -> dict[str, Any]:
    """Run this module in a fresh process (its own peak memory) and read its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_coverage", *args],
        check=True, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser, FULL, QUICK)
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep this database")
    parser.add_argument("--pandas-day", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rebuild", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--day", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = chosen_sizes(args, FULL, QUICK)
    settings = CoverageSettings(time_zone=ZONE)
    end = date(2026, 11, 23)
    days = [end - timedelta(days=n) for n in range(size["days"], 0, -1)]
    if args.pandas_day:  # the baseline's own process
        print(json.dumps(pandas_day(args.database, args.day, settings.max_gap_seconds)))
        return
    if args.rebuild:  # the subject's own process
        print(json.dumps(rebuild(args.database, days, settings)))
        return
    with tempfile.TemporaryDirectory() as folder:
        database = args.keep or Path(folder) / "coverage.duckdb"
        if not database.exists():
            started = time.perf_counter()
            seed(database, size["days"], size["agents"], end)
            say(f"coverage: seeded in {time.perf_counter() - started:.1f} s")
        say(f"coverage: {size['days']} days x {size['agents']} agents, {args.repeat} rounds")
        common = ["--database", str(database), "--days", str(size["days"])]
        runs = interleave(
            {
                "spans + coverage": lambda: child("--rebuild", *common),
                "pandas": lambda: child("--pandas-day", *common, "--day", days[-1].isoformat()),
            },
            args.repeat,
        )
    duck, pandas = runs["spans + coverage"], runs["pandas"]
    total_rows = duck[0]["snapshot_rows"]
    full = Figure(
        "coverage",
        "full spans + coverage rebuild, snapshot rows/s",
        [r["snapshot_rows"] / r["full_rebuild_s"] for r in duck],
        "rows/s",
        target=">= 10,000,000 rows/s",
    )
    full.met = full.value.median >= 10_000_000
    one_day = Figure(
        "coverage",
        "one day's partition (spans + coverage), rows/s",
        [r["one_day_rows"] / r["one_day_s"] for r in duck],
        "rows/s",
        [p["rows"] / p["seconds"] for p in pandas],
        "pandas, same metric, same day",
        "ratio >= 5",
    )
    one_day.met = one_day.ratio is not None and one_day.ratio.median >= 5
    memory = Figure(
        "coverage",
        "peak RSS of the rebuild process",
        [r["peak_rss_mb"] for r in duck],
        "MB",
        target="< 2048 MB (every round)",
    )
    memory.met = memory.value.high < 2048
    say(f"  {total_rows:,} snapshot rows, {duck[0]['one_day_rows']:,} on the last day")
    emit([full, one_day, memory], {"snapshot_rows": total_rows, "rounds": duck, "pandas": pandas})


if __name__ == "__main__":
    main()
