"""Measure what retention does to the DuckDB file: sizes per day before and after.

Writes ``--days`` local days of polls (``--agents`` agents, the 11 scopes of
``config/scopes.toml``, one tick a minute, per-scope acquisition) into a fresh DuckDB file
under ``--work``: the synthetic-history tool writes ticks and snapshots, and every
``raw_responses`` row gets the body the simulator's HTTP API would have answered at that
instant (PII hashed, as stored by default); ``--membership`` lands only the ``all`` scope, as a
membership-mode tick does. Coverage is built for every day, then:

1. sizes before: the file, DuckDB's used blocks, and each big table copied alone into a file
   of its own (its stored size);
2. retention keeping one day (every day but the last goes), archive mode: rows removed, the
   Parquet files, the time taken, the file and used blocks after a checkpoint;
3. what gives the space back: ``VACUUM``, and a copy into a new file (``COPY FROM DATABASE``);
4. one more day of polls on the retained file: freed blocks are reused.

Prints a JSON summary. Takes several minutes and about 10 GB of disk at 200 agents, 3 days.
``python scripts/retention_sizes.py --work <an empty folder>``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipelines.coverage import CoverageSettings
from pipelines.coverage.build import build_coverage, build_spans
from pipelines.coverage.calendar import day_bounds
from pipelines.kore.availability import request_body
from pipelines.retention import RawRetention, database_size, retire
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES
from pipelines.simulator import SimulatorConfig
from pipelines.simulator.history import seed_history
from pipelines.simulator.model import Simulator
from pipelines.warehouse import PiiPolicy, connect, registered, transaction

TABLES = (
    "raw_responses",
    "snapshots",
    "ticks",
    "agent_status_spans",
    "coverage_intervals",
    "coverage_status_intervals",
)
CHUNK = timedelta(hours=2)


def say(text: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", file=sys.stderr, flush=True)


def fill_bodies(db: str, sim: Simulator, scopes: list, pii: PiiPolicy, lo: datetime,
                hi: datetime) -> int:  # fmt: skip
    """Give every raw_responses row of [lo, hi) the body the simulator answers at its time."""
    by_key = {s.key: request_body(s) for s in scopes}
    written = 0
    with connect(db) as con:
        policy = pii.with_database_key(con)
        start = lo
        while start < hi:
            end = min(start + CHUNK, hi)
            rows = con.execute(
                "SELECT tick_id, scope_key, requested_at FROM raw_responses "
                "WHERE requested_at >= ? AND requested_at < ?",
                [start, end],
            ).fetchall()
            bodies = [
                policy.protect_body(json.dumps(sim.availability(by_key[scope], at)), True)
                for _, scope, at in rows
            ]
            frame = pd.DataFrame(
                {
                    "tick_id": [r[0] for r in rows],
                    "scope_key": [r[1] for r in rows],
                    "body": bodies,
                }  # fmt: skip
            )
            with registered(con, incoming_bodies=frame), transaction(con):
                con.execute(
                    "UPDATE raw_responses AS r SET body = i.body, error_text = NULL "
                    "FROM incoming_bodies AS i "
                    "WHERE r.tick_id = i.tick_id AND r.scope_key = i.scope_key"
                )
            written += sum(len(b) for b in bodies)
            start = end
    return written


def write_days(db: str, days: list[date], args: argparse.Namespace, scopes: list) -> int:
    """Seed ticks and snapshots, fill the bodies, build coverage; the body bytes written."""
    pii = PiiPolicy.from_env(mode="hash")
    sim = Simulator(SimulatorConfig(agents=args.agents, seed=args.seed, time_zone=args.zone))
    grid = CoverageSettings(time_zone=args.zone, interval_minutes=15, max_gap_seconds=120)
    text = 0
    for day in days:
        lo, hi = day_bounds(day, args.zone)
        with connect(db) as con:
            seed_history(con, start=lo, end=hi, agents=args.agents, seed=args.seed,
                         scopes=scopes, time_zone=args.zone, pii=pii)  # fmt: skip
        began = time.perf_counter()
        text += fill_bodies(db, sim, scopes, pii, lo, hi)
        say(f"{day}: bodies in {time.perf_counter() - began:.0f} s")
        with connect(db) as con:
            build_spans(con, day, grid)
            build_coverage(con, day, grid)
    return text


def table_bytes(db: str, work: Path) -> dict[str, int]:
    """Each table's stored size: the table copied alone into a new file, checkpointed."""
    sizes = {}
    for table in TABLES:
        target = work / f"only_{table}.duckdb"
        target.unlink(missing_ok=True)
        con = duckdb.connect(str(target))
        try:
            con.execute(f"ATTACH '{db}' AS source (READ_ONLY)")
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM source.{table}")
            con.execute("DETACH source")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        sizes[table] = target.stat().st_size
        target.unlink()
    return sizes


def sizes(db: str) -> dict[str, int]:
    with connect(db) as con:
        found = database_size(con, db)
    return {"file": found.file_bytes, "used": found.used_bytes, "free": found.free_bytes}


def steady(db: str, args: argparse.Namespace, scopes: list) -> int:
    """Day after day: a day of polls, then the nightly retention; the file's size each night."""
    policy = RawRetention(days=args.keep, time_zone=args.zone, archive_dir=args.work / "archive")
    nights = []
    for i in range(args.steady):
        day = args.first_day + timedelta(days=i)
        write_days(db, [day], args, scopes)
        now = day_bounds(day + timedelta(days=1), args.zone)[0] + timedelta(hours=2)
        outcome = retire(partial(connect, db), policy, now=now)
        night = {"day": str(day), **sizes(db), "removed": outcome.rows_removed["raw_responses"]}
        say(json.dumps(night))
        nights.append(night)
    print(json.dumps({"keep": args.keep, "agents": args.agents, "nights": nights}, indent=2))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--zone", default="America/New_York")
    parser.add_argument("--first-day", type=date.fromisoformat, default=date(2026, 11, 16))
    parser.add_argument(
        "--steady", type=int, default=0, metavar="DAYS", help="DAYS days, retention after each"
    )
    parser.add_argument("--keep", type=int, default=3)
    parser.add_argument(
        "--membership", action="store_true", help="one answer of every agent a tick (scope all)"
    )
    args = parser.parse_args()
    if args.work.exists() and any(args.work.iterdir()):
        parser.error(f"{args.work} is not empty; the measurement needs a folder of its own")
    args.work.mkdir(parents=True, exist_ok=True)
    db = str(args.work / "availability.duckdb")
    scopes = load_scopes(DEFAULT_SCOPES)
    if args.membership:  # what a membership-mode tick lands: one answer, scope `all`
        scopes = [s for s in scopes if s.key == "all"]
    days = [args.first_day + timedelta(days=i) for i in range(args.days)]
    result: dict[str, Any] = {"agents": args.agents, "scopes": len(scopes), "days": args.days,
                              "time_zone": args.zone}  # fmt: skip

    if args.steady:
        return steady(db, args, scopes)
    text = write_days(db, days, args, scopes)
    result["body_text_bytes_per_day"] = text // args.days
    result["before"] = sizes(db)
    result["table_bytes_before"] = table_bytes(db, args.work)
    say(f"before: {result['before']}")

    policy = RawRetention(days=1, time_zone=args.zone, archive_dir=args.work / "archive")
    now = day_bounds(days[-1] + timedelta(days=1), args.zone)[0] + timedelta(hours=1)
    began = time.perf_counter()
    outcome = retire(partial(connect, db), policy, now=now)
    result["retention_seconds"] = round(time.perf_counter() - began, 1)
    result["rows_removed"] = outcome.rows_removed
    result["parquet_files"] = {str(r["day"]): r["file_bytes"] for r in outcome.days}
    result["after_delete"] = sizes(db)
    result["table_bytes_after"] = table_bytes(db, args.work)
    say(f"after: {result['after_delete']} in {result['retention_seconds']} s")

    with connect(db) as con:
        began = time.perf_counter()
        con.execute("VACUUM")
        result["vacuum_seconds"] = round(time.perf_counter() - began, 1)
    result["after_vacuum"] = sizes(db)

    copy = args.work / "compacted.duckdb"
    began = time.perf_counter()
    con = duckdb.connect(str(copy))
    try:
        con.execute(f"ATTACH '{db}' AS source (READ_ONLY)")
        con.execute("COPY FROM DATABASE source TO compacted")
        con.execute("DETACH source")
    finally:
        con.close()
    result["compact_copy_seconds"] = round(time.perf_counter() - began, 1)
    result["compacted_file"] = copy.stat().st_size
    copy.unlink()

    extra = [days[-1] + timedelta(days=1)]
    write_days(db, extra, args, scopes)
    result["after_one_more_day"] = sizes(db)
    say(json.dumps(result))
    print(json.dumps(result, indent=2, default=str))
    os.remove(db)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
