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
from collections.abc import Callable
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

# The writer ticks until the test has seen what it needs, or this many ticks (a bound).
MAX_TICKS = 120
# Ticks that must land while one notebook run is under way, and notebook runs tried for it.
OVERLAP_TICKS = 2
NOTEBOOK_RUNS = 4
# What the reader loop asks, in one connection: the test's ticks and all landed answers.
READS = {
    "ticks": ("SELECT count(*) AS n FROM ticks WHERE tick_id LIKE 'tick-%'", None),
    "answers": ("SELECT count(*) AS n FROM raw_responses", None),
}

WRITER = """
import json, os, sys
from pipelines.kore import KoreSettings
from pipelines.polling import run_tick
from pipelines.settings import DEFAULT_SCOPES
from pipelines.resources import WarehouseResource
from pipelines.scopes import load_scopes

database, max_ticks, stop_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
settings = KoreSettings(
    host=os.environ["KORE_HOST"],
    bot_id=os.environ["KORE_BOT_ID"],
    account_id=os.environ["KORE_ACCOUNT_ID"],
    client_id=os.environ["KORE_CLIENT_ID"],
    client_secret=os.environ["KORE_CLIENT_SECRET"],
    rate_limit_per_minute=100_000,  # the simulator runs unlimited; keep the client out of it
)
warehouse = WarehouseResource(database=database, lock_timeout_seconds=60)
scopes = load_scopes(DEFAULT_SCOPES)
for i in range(max_ticks):
    outcome = run_tick(warehouse.connection, settings, scopes, tick_id=f"tick-{i}")
    print(json.dumps({"tick": i, **outcome.counts}), flush=True)
    if os.path.exists(stop_file):
        break
"""


@pytest.mark.slow
def test_polls_readers_and_a_notebook_share_the_file(
    simulator_factory: Callable[..., SimulatorServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Synchronised on what the processes report, never on time: the notebook starts after
    the writer's first tick and is run again (a bounded number of times) until ticks have
    landed during one run; the writer stops once that is so and the reader has seen a tick
    land between two of its reads."""
    database = str(tmp_path / "shared.duckdb")
    seed_days(database, DAYS)  # the notebook has history and coverage to show
    server = simulator_factory(rate_limit_per_minute=None, agents=60)
    monkeypatch.setenv("JUPYTER_PATH", str(kernelspec_dir(tmp_path / "jupyter")))
    stop_file = tmp_path / "stop-writer"

    errors: list[str] = []
    seen: list[tuple[int, int]] = []  # (test ticks, answers) per read
    landed: list[dict[str, int]] = []  # the writer's reports, in order
    tick_landed = threading.Condition()
    stop_reading = threading.Event()

    def read_in_a_loop() -> None:
        while not stop_reading.is_set():
            try:
                frames = reading.read_many(READS, database=database, timeout_s=60)
                seen.append((int(frames["ticks"]["n"][0]), int(frames["answers"]["n"][0])))
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                errors.append(f"{type(exc).__name__}: {exc}")

    # The follower thread alone reads stdout (every line is a tick); stderr goes to a file.
    writer_err = tmp_path / "writer.err"
    with writer_err.open("w") as err_file:  # the child keeps its own copy
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, database, str(MAX_TICKS), str(stop_file)],
            env={**os.environ, **server.env(include_secret=True)},
            stdout=subprocess.PIPE,
            stderr=err_file,
            text=True,
        )

    def follow_writer() -> None:
        assert writer.stdout is not None
        for line in writer.stdout:
            with tick_landed:
                landed.append(json.loads(line))
                tick_landed.notify_all()
        with tick_landed:  # the writer is gone: wake whoever waits for a tick
            tick_landed.notify_all()

    def wait_for_ticks(count: int) -> bool:
        """Until ``count`` ticks have landed; False if the writer ended before."""
        with tick_landed:
            tick_landed.wait_for(lambda: len(landed) >= count or writer.poll() is not None)
            return len(landed) >= count

    follower = threading.Thread(target=follow_writer, daemon=True)
    follower.start()
    reader = threading.Thread(target=read_in_a_loop, daemon=True)
    reader.start()
    overlapped = 0
    notebooks = []
    try:
        assert wait_for_ticks(1), "the writer ended before its first tick"
        for _ in range(NOTEBOOK_RUNS):
            before = len(landed)
            notebooks.append(execute_notebook(COVERAGE_NB, DATABASE=database))
            overlapped = max(overlapped, len(landed) - before)
            if overlapped >= OVERLAP_TICKS:
                break
        # The reader must have read between two commits: wait for ticks until it has.
        while len({ticks for ticks, _ in seen}) < 2 and wait_for_ticks(len(landed) + 1):
            pass
        stop_file.touch()
        writer.wait(timeout=120)
    finally:
        stop_file.touch()
        stop_reading.set()
        reader.join(timeout=60)
        if writer.poll() is None:
            writer.kill()
            writer.wait()
        follower.join(timeout=30)

    follower.join(timeout=30)
    assert not follower.is_alive(), "the writer's output did not end"
    assert writer.returncode == 0, writer_err.read_text()[-3000:]
    assert [t["tick"] for t in landed] == list(range(len(landed)))
    assert all(t["scopes_ok"] == len(SCOPES) and t["scopes_deferred"] == 0 for t in landed)
    print(f"{len(landed)} ticks, {len(seen)} reads, {len(notebooks)} notebook run(s)")
    assert overlapped >= OVERLAP_TICKS, f"at most {overlapped} tick(s) landed during a notebook"
    assert not errors, errors[:5]
    assert len({ticks for ticks, _ in seen}) >= 2, "no read fell between two ticks"
    for column in (0, 1):  # commits are atomic and ordered: counts only ever grow
        counts_seen = [read[column] for read in seen]
        assert counts_seen == sorted(counts_seen), "a reader saw a count go down"
    for nb in notebooks:
        assert_clean(nb)
        assert key_outputs(nb)["DAYS"] == [d.isoformat() for d in DAYS]

    complete = reading.query(
        "SELECT count(*) AS n FROM ticks WHERE tick_id LIKE 'tick-%' "
        "AND scopes_asked = $scopes AND scopes_ok = $scopes AND scopes_deferred = 0",
        {"scopes": len(SCOPES)},
        database=database,
    ).iloc[0]["n"]
    assert int(complete) == len(landed)  # every tick landed whole
