"""Ingest: raw JSON bodies to committed snapshot rows through the project's write path.

5 million snapshot rows as 250 ticks x 100 scopes x 200 agents (the simulator's own answers,
newer shape with channel capacity), written with ``warehouse.write_tick`` exactly as a poll
writes them. The naive baseline parses in Python and inserts with ``executemany`` on a sample;
the two alternate round by round, each into a fresh database file.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
from pipelines.scopes import Scope
from pipelines.simulator import Simulator, SimulatorConfig
from pipelines.warehouse import LANDING_COLUMNS, Tick, connect, write_tick

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
FULL = {"ticks": 250, "scopes": 100, "agents": 200, "naive_rows": 20_000}
QUICK = {"ticks": 10, "scopes": 20, "agents": 50, "naive_rows": 2_000}


def bodies(agents: int, variants: int) -> list[str]:
    """Real answers of the simulator at different instants, so statuses vary between ticks."""
    model = Simulator(SimulatorConfig(agents=agents, seed=7))
    return [
        json.dumps(model.availability({}, T0 + timedelta(minutes=7 * i))) for i in range(variants)
    ]


def landing(texts: list[str], scopes: list[Scope], at: datetime) -> pd.DataFrame:
    n = len(scopes)
    frame = pd.DataFrame(
        {
            "scope_key": [s.key for s in scopes],
            "requested_at": [at] * n,
            "answered_at": [at] * n,
            "observed_at": [at] * n,
            "attempts": [1] * n,
            "http_status": [200] * n,
            "latency_ms": [150.0] * n,
            "outcome": ["ok"] * n,
            "error_kind": [None] * n,
            "error_text": [None] * n,
            "body": [texts[i % len(texts)] for i in range(n)],
        }
    )
    return frame[LANDING_COLUMNS]


def naive(database: Path, texts: list[str], rows_wanted: int) -> float:
    """Parse in Python, insert row by row: what the project must beat."""
    rows = []
    for text in texts:
        for status, agents in json.loads(text).items():
            rows.extend(("naive", "all", T0, a["_id"], a.get("userId"), status) for a in agents)
    rows = (rows * (rows_wanted // len(rows) + 1))[:rows_wanted]
    with connect(database) as con:
        started = time.perf_counter()
        con.execute("BEGIN")
        con.executemany("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?)", rows)
        con.execute("COMMIT")
        return len(rows) / (time.perf_counter() - started)


def project(database: Path, frames: list[pd.DataFrame], scopes: list[Scope]) -> tuple[float, int]:
    """Every tick through ``write_tick`` into a fresh database; returns (rows/s, rows)."""
    empty = pd.DataFrame({"scope_key": [], "sent_at": pd.to_datetime([], utc=True)})
    written = 0
    with connect(database) as con:
        started = time.perf_counter()
        for t, frame in enumerate(frames):
            at = T0 + timedelta(minutes=t)
            counts = write_tick(con, Tick(f"bench-{t}", "bench", at, at), frame, empty, scopes)
            written += counts["snapshot_rows"]
        elapsed = time.perf_counter() - started
    return written / elapsed, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser, FULL, QUICK)
    args = parser.parse_args()
    size = chosen_sizes(args, FULL, QUICK)
    ticks, n_scopes, agents, naive_rows = (
        size[k] for k in ("ticks", "scopes", "agents", "naive_rows")
    )
    texts = bodies(agents, variants=8)
    scopes = [Scope("agents", f"bench-{i}", f"Bench {i}", ("x",)) for i in range(n_scopes)]
    frames = [
        landing(texts[t % len(texts) :] + texts, scopes, T0 + timedelta(minutes=t))
        for t in range(ticks)
    ]
    say(f"ingest: {ticks} ticks x {n_scopes} scopes x {agents} agents, {args.repeat} rounds")
    with tempfile.TemporaryDirectory() as folder:

        def fresh(name: str) -> Path:
            """A new, empty database for every round (the previous round's file is removed)."""
            for old in Path(folder).glob(f"{name}.duckdb*"):
                old.unlink()
            return Path(folder) / f"{name}.duckdb"

        runs = interleave(
            {
                "write_tick": lambda: project(fresh("ingest"), frames, scopes),
                "executemany": lambda: naive(fresh("naive"), texts, naive_rows),
            },
            args.repeat,
        )
    rates = [rate for rate, _ in runs["write_tick"]]
    written = runs["write_tick"][0][1]
    figure = Figure(
        "ingest",
        "write path rows/s (JSON bodies -> committed snapshots)",
        rates,
        "rows/s",
        runs["executemany"],
        "executemany",
        ">= 1,000,000 rows/s",
    )
    figure.met = figure.value.median >= 1_000_000
    emit(
        [figure],
        {"rows": written, "naive_rows": naive_rows, "peak_rss_mb": peak_rss_mb()},
    )


if __name__ == "__main__":
    main()
