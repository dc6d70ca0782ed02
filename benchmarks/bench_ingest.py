"""Ingest: raw JSON bodies to committed snapshot rows through the project's write path.

5 million snapshot rows as 250 ticks x 100 scopes x 200 agents (the simulator's own answers,
newer shape with channel capacity), written with ``warehouse.write_tick`` exactly as a poll
writes them. The naive baseline, measured in the same run, parses in Python and inserts with
``executemany`` on a sample.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from benchmarks.common import Figure, emit, peak_rss_mb, say
from pipelines.scopes import Scope
from pipelines.simulator import Simulator, SimulatorConfig
from pipelines.warehouse import LANDING_COLUMNS, Tick, connect, write_tick

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ticks", type=int, default=250)
    parser.add_argument("--scopes", type=int, default=100)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--naive-rows", type=int, default=20_000)
    args = parser.parse_args()
    texts = bodies(args.agents, variants=8)
    scopes = [Scope("agents", f"bench-{i}", f"Bench {i}", ("x",)) for i in range(args.scopes)]
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "ingest.duckdb"
        baseline = naive(Path(folder) / "naive.duckdb", texts, args.naive_rows)
        say(f"ingest: naive executemany {baseline:,.0f} rows/s on {args.naive_rows:,} rows")
        frames = [
            landing(texts[t % len(texts) :] + texts, scopes, T0 + timedelta(minutes=t))
            for t in range(args.ticks)
        ]
        empty = pd.DataFrame({"scope_key": [], "sent_at": pd.to_datetime([], utc=True)})
        written = 0
        with connect(database) as con:
            started = time.perf_counter()
            for t, frame in enumerate(frames):
                at = T0 + timedelta(minutes=t)
                counts = write_tick(con, Tick(f"bench-{t}", "bench", at, at), frame, empty, scopes)
                written += counts["snapshot_rows"]
                if t % 50 == 49:
                    rate = written / (time.perf_counter() - started)
                    say(f"  {t + 1} ticks, {written:,} rows, {rate:,.0f} rows/s")
            elapsed = time.perf_counter() - started
        rate = written / elapsed
        say(f"  {written:,} rows in {elapsed:.1f} s: {rate:,.0f} rows/s")
    emit(
        [
            Figure(
                "ingest",
                "write path rows/s (JSON bodies -> committed snapshots)",
                rate,
                "rows/s",
                baseline,
                "executemany",
                ">= 1,000,000 rows/s",
                rate >= 1_000_000,
            ),  # fmt: skip
        ],
        {"rows": written, "seconds": elapsed, "peak_rss_mb": peak_rss_mb()},
    )


if __name__ == "__main__":
    main()
