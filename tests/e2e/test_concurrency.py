"""Polls keep landing while a notebook runs and a reader queries in a loop, on one DuckDB file.

Three processes share the file, as in production: a poll writer (a subprocess ticking
``run_tick`` against the simulator through ``WarehouseResource.connection``, the connection the
Dagster asset uses), the notebook's kernel, and this test process reading in a loop through
``pipelines.reading``. DuckDB's lock is per process, so threads of one process could not show
the conflict. Nobody may fail and no tick may be lost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines import reading
from pipelines.simulator import SimulatorServer
from tests.e2e.test_notebooks import (
    COVERAGE_NB,
    DAYS,
    SCOPES,
    assert_clean,
    execute_notebook,
    kernelspec_dir,
    key_outputs,
    seed_days,
)

TICKS = 16
PAUSE_S = 0.5
# What the reader loop asks, in one connection: the test's ticks and all landed answers.
READS = {
    "ticks": ("SELECT count(*) AS n FROM ticks WHERE tick_id LIKE 'tick-%'", None),
    "answers": ("SELECT count(*) AS n FROM raw_responses", None),
}

WRITER = """
import json, os, sys, time
from pipelines.kore import KoreSettings
from pipelines.polling import run_tick
from pipelines.settings import DEFAULT_SCOPES
from pipelines.resources import WarehouseResource
from pipelines.scopes import load_scopes

database, ticks, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
settings = KoreSettings(
    host=os.environ["KORE_HOST"],
    bot_id=os.environ["KORE_BOT_ID"],
    account_id=os.environ["KORE_ACCOUNT_ID"],
    client_id=os.environ["KORE_CLIENT_ID"],
    client_secret=os.environ["KORE_CLIENT_SECRET"],
    rate_limit_per_minute=100_000,  # the simulator runs unlimited; keep the client out of it
)
warehouse = WarehouseResource(database=database, lock_timeout_seconds=30)
scopes = load_scopes(DEFAULT_SCOPES)
for i in range(ticks):
    began = time.monotonic()
    outcome = run_tick(warehouse.connection, settings, scopes, tick_id=f"tick-{i}")
    print(json.dumps({"tick": i, "seconds": time.monotonic() - began, **outcome.counts}),
          flush=True)
    time.sleep(pause)
"""


@pytest.mark.slow
def test_polls_readers_and_a_notebook_share_the_file(
    simulator_factory: Callable[..., SimulatorServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    began = time.monotonic()
    database = str(tmp_path / "shared.duckdb")
    seed_days(database, DAYS)  # the notebook has history and coverage to show
    server = simulator_factory(rate_limit_per_minute=None, agents=60)
    monkeypatch.setenv("JUPYTER_PATH", str(kernelspec_dir(tmp_path / "jupyter")))

    reads: list[float] = []
    errors: list[str] = []
    seen: list[tuple[int, int]] = []  # (test ticks, answers) per read
    stop = threading.Event()

    def read_in_a_loop() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                frames = reading.read_many(READS, database=database, timeout_s=20)
                seen.append((int(frames["ticks"]["n"][0]), int(frames["answers"]["n"][0])))
                reads.append(time.monotonic() - started)
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.02)

    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, database, str(TICKS), str(PAUSE_S)],
        env={**os.environ, **server.env(include_secret=True)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reader = threading.Thread(target=read_in_a_loop, daemon=True)
    reader.start()
    try:
        notebook_from = datetime.now(UTC)
        nb = execute_notebook(COVERAGE_NB, DATABASE=database)
        notebook_to = datetime.now(UTC)
        out, err = writer.communicate(timeout=45)
    finally:
        stop.set()
        reader.join(timeout=30)
        if writer.poll() is None:
            writer.kill()
            writer.wait()

    assert writer.returncode == 0, err[-3000:]
    landed = [json.loads(line) for line in out.splitlines()]
    assert [t["tick"] for t in landed] == list(range(TICKS))
    assert all(t["scopes_ok"] == len(SCOPES) and t["scopes_deferred"] == 0 for t in landed)

    print(
        f"{len(reads)} reads, slowest {max(reads, default=0):.2f} s; writer ticks took "
        f"{max((t['seconds'] for t in landed), default=0):.2f} s at most"
    )
    assert not errors, errors[:5]
    assert len(reads) >= 20, f"only {len(reads)} reads succeeded"
    assert max(reads) < 5, f"a read waited {max(reads):.1f} s: writers held the file too long"
    for column in (0, 1):  # commits are atomic and ordered: counts only ever grow
        counts_seen = [read[column] for read in seen]
        assert counts_seen == sorted(counts_seen), "a reader saw a count go down"
    assert_clean(nb)
    assert key_outputs(nb)["DAYS"] == [d.isoformat() for d in DAYS]

    counts = reading.query(
        "SELECT count(*) FILTER (WHERE scopes_asked = $scopes AND scopes_ok = $scopes "
        "AND scopes_deferred = 0) AS complete, "
        "count(*) FILTER (WHERE written_at BETWEEN $since AND $until) AS overlapping "
        "FROM ticks WHERE tick_id LIKE 'tick-%'",
        {"scopes": len(SCOPES), "since": notebook_from, "until": notebook_to},
        database=database,
    ).iloc[0]
    complete, overlapping = int(counts["complete"]), int(counts["overlapping"])
    assert complete == TICKS  # every tick landed whole
    assert overlapping >= 2  # and the writes really overlapped the notebook's reads
    raw = reading.query(
        "SELECT count(*) AS n FROM raw_responses WHERE tick_id LIKE 'tick-%' AND outcome = 'ok'",
        database=database,
    )
    assert raw["n"][0] == TICKS * len(SCOPES)
    assert time.monotonic() - began < 60
