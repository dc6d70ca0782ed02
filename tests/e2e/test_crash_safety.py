"""Crash safety: SIGKILL the writer at random moments, then check nothing is half-written.

A scheduled poller can die at any instant (OOM killer, a node drained, a deploy). Every tick is
written in one DuckDB transaction and every coverage partition is rebuilt in one transaction
per table, so after a kill the database must open (replaying its WAL), hold only whole ticks
and whole partitions, keep every tick whose commit was reported, and let the next run go on.

Writers are forked from a "zygote" process that has imported everything once (a fresh Python
with pandas and DuckDB takes a second to start), so fifty kills fit in well under a minute.
The zygote never opens the database itself; its children do, and die by SIGKILL mid-write.
Everything is bounded: children stop by themselves after a few seconds, the zygote after a
few minutes or when its stdin closes; the simulator (for the run_tick variant) is on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipelines.coverage import CoverageSettings, build_coverage, build_spans, day_bounds
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES, PROJECT_ROOT
from pipelines.simulator import SimulatorServer
from pipelines.simulator.history import seed_history
from pipelines.warehouse import connect
from tests.support.kore import connection_settings

SCOPE_COUNT = 6
AGENTS_PER_SCOPE = 300
CHANNELS = 5

ZYGOTE = r"""
import json, os, signal, sys, time
from datetime import UTC, datetime, timedelta
from functools import partial

import pandas as pd

from pipelines.coverage import CoverageSettings, build_coverage, build_spans
from pipelines.kore import KoreSettings
from pipelines.polling import run_tick
from pipelines.scopes import Scope
from pipelines.warehouse import LANDING_COLUMNS, PiiPolicy, Tick, connect, write_tick

mode, db, logdir = sys.argv[1:4]
extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps killed children
T0 = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
SCOPES = [Scope("skill", f"sk-{i}", f"Skill {i}") for i in range(extra.get("scope_count", 6))]
CAPACITY = {c: {"isEnabled": True, "totalCapacity": 3, "usedCapacity": 1, "availableCapacity": 2}
            for c in ("liveChat", "messaging", "email", "voice", "voiceMail")}
BODIES = []
for s in range(len(SCOPES)):
    buckets = {"AVAILABLE": [], "BUSY": [], "AWAY": [], "OFFLINE": []}
    for i in range(extra.get("agent_count", 300)):
        agent = {"_id": f"a-{s}-{i}", "userId": f"u-{s}-{i}", "firstName": "F", "lastName": "L",
                 "emailId": f"agent{s}.{i}@example.com", "phoneNumber": f"555{s}{i:06d}",
                 "customId": str(i), "isDigitalEnabled": True, "channelCapacity": CAPACITY}
        buckets[list(buckets)[i % 4]].append(agent)
    BODIES.append(json.dumps(buckets))


def landing(n):
    at = T0 + timedelta(minutes=n)
    frame = pd.DataFrame({
        "scope_key": [s.key for s in SCOPES], "requested_at": [at] * len(SCOPES),
        "answered_at": [at] * len(SCOPES), "observed_at": [at] * len(SCOPES),
        "attempts": [1] * len(SCOPES), "http_status": [200] * len(SCOPES),
        "latency_ms": [5.0] * len(SCOPES), "outcome": ["ok"] * len(SCOPES),
        "error_kind": [None] * len(SCOPES), "error_text": [None] * len(SCOPES),
        "body": BODIES,
    }, columns=LANDING_COLUMNS)
    sends = pd.DataFrame({"scope_key": [s.key for s in SCOPES], "sent_at": [at] * len(SCOPES)})
    for column in ("requested_at", "answered_at", "observed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    sends["sent_at"] = pd.to_datetime(sends["sent_at"], utc=True)
    return at, frame, sends


def open_db():
    # Checkpoint often, so that kills also land in checkpoints, not only in WAL appends.
    con = connect(db)
    handle = con.__enter__()
    handle.execute("SET checkpoint_threshold = '256KB'")
    return con, handle


def child(run, log):
    started = time.monotonic()
    con, handle = open_db()
    try:
        n = handle.execute("SELECT count(*) FROM ticks").fetchall()[0][0]
    finally:
        con.__exit__(None, None, None)
    os.write(log, f"start {n}\n".encode())
    for i in range(10_000):
        if time.monotonic() - started > 15:
            return
        if mode == "write":
            replace = i % 3 == 2 and n > 0  # every third write replaces the last tick
            number = n - 1 if replace else n
            tick_id = f"t-{number:05d}"
            at, frame, sends = landing(number)
            con, handle = open_db()
            try:
                write_tick(handle, Tick(tick_id, "acct", at, at), frame, sends, SCOPES,
                           pii=PiiPolicy("hash"))
            finally:
                con.__exit__(None, None, None)
            n = n if replace else n + 1
        elif mode == "poll":
            tick_id = f"t-{n:05d}"
            settings = KoreSettings(**extra["settings"])
            scopes = [Scope(**s) for s in extra["scopes"]]
            run_tick(partial(connect, db), settings, scopes, tick_id=tick_id,
                     pii=PiiPolicy("hash"))
            n += 1
        else:
            day = datetime.fromisoformat(extra["day"]).date()
            version = ("B", "A")[i % 2]  # B first: A is in place
            settings = CoverageSettings(**extra[version])
            con, handle = open_db()
            try:
                build_spans(handle, day, settings)
                os.write(log, f"spans {version}\n".encode())
                build_coverage(handle, day, settings)
            finally:
                con.__exit__(None, None, None)
            tick_id = f"coverage {version}"
        os.write(log, f"done {tick_id}\n".encode())


print("ready", flush=True)
stop_at = time.monotonic() + 240
for line in sys.stdin:
    if time.monotonic() > stop_at:
        break
    words = line.split()
    if words[:1] != ["spawn"]:
        continue
    pid = os.fork()
    if pid == 0:
        log = os.open(os.path.join(logdir, f"run-{words[1]}.log"),
                      os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            child(int(words[1]), log)
        finally:
            os._exit(0)
    print(f"pid {pid}", flush=True)
"""


class Zygote:
    """The forking helper process; ``kill_after`` runs one child and SIGKILLs it."""

    def __init__(self, process: subprocess.Popen[str], logdir: Path):
        self.process = process
        self.logdir = logdir
        self.runs = 0

    def spawn(self) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"spawn {self.runs}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline().split()
        assert line[:1] == ["pid"], line
        self.runs += 1
        return int(line[1])

    def kill_after(self, delay_s: float) -> list[str]:
        """Start a writer, SIGKILL it after ``delay_s``, wait until it is gone; its log lines."""
        pid = self.spawn()
        time.sleep(delay_s)
        os.kill(pid, signal.SIGKILL)
        for _ in range(500):  # bounded: a killed process disappears within milliseconds
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.01)
        else:
            raise AssertionError(f"writer {pid} survived SIGKILL")
        log = self.logdir / f"run-{self.runs - 1}.log"
        return log.read_text().splitlines() if log.exists() else []


@contextmanager
def zygote(mode: str, database: str, tmp_path: Path, extra: str = "{}") -> Iterator[Zygote]:
    logdir = tmp_path / f"logs-{mode}"
    logdir.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", ZYGOTE, mode, database, str(logdir), extra],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        yield Zygote(process, logdir)
    finally:
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def committed(lines: list[str]) -> set[str]:
    return {line.split(" ", 1)[1] for line in lines if line.startswith("done ")}


def check_ticks(database: str, scopes: int, snapshots_per_tick: int | None) -> dict[str, int]:
    """Open as the next run would (replaying the WAL) and check every tick is whole."""
    with connect(database) as con:
        ticks = dict(con.execute("SELECT tick_id, scopes_asked FROM ticks").fetchall())
        ok = dict(con.execute("SELECT tick_id, scopes_ok FROM ticks").fetchall())
        raw = dict(con.execute("SELECT tick_id, count(*) FROM raw_responses GROUP BY 1").fetchall())
        raw_ok = dict(
            con.execute(
                "SELECT tick_id, count(*) FROM raw_responses WHERE outcome = 'ok' GROUP BY 1"
            ).fetchall()
        )
        snaps = dict(con.execute("SELECT tick_id, count(*) FROM snapshots GROUP BY 1").fetchall())
        caps = dict(
            con.execute("SELECT tick_id, count(*) FROM channel_capacity GROUP BY 1").fetchall()
        )
        logged = {
            row[0] for row in con.execute("SELECT DISTINCT tick_id FROM request_log").fetchall()
        }
        duplicates = con.execute(
            "SELECT count(*) FROM (SELECT tick_id, scope_key, agent_id FROM snapshots "
            "GROUP BY ALL HAVING count(*) > 1)"
        ).fetchall()[0][0]
        clear = con.execute(
            "SELECT count(*) FROM agents WHERE email LIKE '%@%' OR phone NOT LIKE 'pii:%'"
        ).fetchall()[0][0]
    assert sorted(ticks) == [f"t-{n:05d}" for n in range(len(ticks))]  # no gap, nothing extra
    for tick_id, asked in ticks.items():
        assert asked == scopes and raw.get(tick_id) == asked, tick_id
        assert raw_ok.get(tick_id, 0) == ok[tick_id], tick_id
        if snapshots_per_tick is not None:
            assert snaps.get(tick_id) == snapshots_per_tick, tick_id
            assert caps.get(tick_id) == snapshots_per_tick * CHANNELS, tick_id
    orphans = (set(raw) | set(snaps) | set(caps) | logged) - set(ticks)
    assert not orphans, f"rows of a tick that was never committed: {sorted(orphans)[:5]}"
    assert duplicates == 0 and clear == 0
    return {"ticks": len(ticks), "snapshot_rows": sum(snaps.values())}


@pytest.mark.slow
def test_sigkill_during_tick_writes_50_times_leaves_only_whole_ticks(tmp_path: Path) -> None:
    database = str(tmp_path / "crash.duckdb")
    rng = random.Random(5)
    kills, with_wal, reported, mid_write = 0, 0, set(), 0
    started = time.monotonic()
    sizes = json.dumps({"scope_count": SCOPE_COUNT, "agent_count": AGENTS_PER_SCOPE})
    with zygote("write", database, tmp_path, sizes) as helper:
        for _ in range(50):
            lines = helper.kill_after(rng.uniform(0.0, 0.3))
            kills += 1
            reported |= committed(lines)
            mid_write += bool(lines) and not lines[-1].startswith("done")
            with_wal += Path(database + ".wal").exists()
            figures = check_ticks(database, SCOPE_COUNT, SCOPE_COUNT * AGENTS_PER_SCOPE)
            with connect(database, read_only=True) as con:
                present = {r[0] for r in con.execute("SELECT tick_id FROM ticks").fetchall()}
            assert reported <= present, sorted(reported - present)[:5]  # commits are durable
    # The next run continues where the killed ones stopped.
    before = figures["ticks"]
    lines = _run_to_completion(database, tmp_path)
    after = check_ticks(database, SCOPE_COUNT, SCOPE_COUNT * AGENTS_PER_SCOPE)
    assert lines[0] == f"start {before}" and after["ticks"] > before
    elapsed = time.monotonic() - started
    print(
        f"\ncrash loop: {kills} SIGKILLs in {elapsed:.0f} s, {len(reported)} commits reported and "
        f"all present, {before} whole ticks after the last kill ({figures['snapshot_rows']} "
        f"snapshot rows), {with_wal} kills left a WAL to replay, {mid_write} cut an iteration "
        f"short; 0 half-written ticks; the next run went on to {after['ticks']} ticks"
    )
    assert kills >= 50 and reported and with_wal > 0


def _run_to_completion(database: str, tmp_path: Path) -> list[str]:
    """One more writer, not killed: it must start from the surviving ticks and go on."""
    final = tmp_path / "final"
    final.mkdir()
    sizes = json.dumps({"scope_count": SCOPE_COUNT, "agent_count": AGENTS_PER_SCOPE})
    with zygote("write", database, final, sizes) as helper:
        pid = helper.spawn()
        log = helper.logdir / f"run-{helper.runs - 1}.log"
        for _ in range(300):  # let it write a few ticks, then stop it the same hard way
            if log.exists() and len(committed(log.read_text().splitlines())) >= 3:
                break
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
        for _ in range(500):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.01)
        return log.read_text().splitlines()


@pytest.mark.slow
def test_sigkill_during_polls_against_the_simulator(
    simulator_factory: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    server = simulator_factory(agents=60, rate_limit_per_minute=None)
    env = server.env(include_secret=True)
    scopes = [{"kind": "all", "ref_id": "", "name": "All agents"}] + [
        {"kind": "skill", "ref_id": s, "name": s} for s in ("sk-sales", "sk-billing", "sk-vip")
    ]
    extra: dict[str, Any] = {
        "settings": {
            **connection_settings(env),
            "rate_limit_per_minute": 100_000,
            "tick_deadline_s": 5.0,
        },
        "scopes": scopes,
    }
    database = str(tmp_path / "poll-crash.duckdb")
    rng = random.Random(9)
    reported: set[str] = set()
    with zygote("poll", database, tmp_path, json.dumps(extra)) as helper:
        for _ in range(12):
            reported |= committed(helper.kill_after(rng.uniform(0.05, 0.5)))
            figures = check_ticks(database, len(scopes), None)
            with connect(database, read_only=True) as con:
                present = {r[0] for r in con.execute("SELECT tick_id FROM ticks").fetchall()}
            assert reported <= present
    assert figures["ticks"] >= len(reported) > 0


@pytest.mark.slow
def test_sigkill_during_coverage_rebuilds_leaves_a_whole_partition(tmp_path: Path) -> None:
    database = str(tmp_path / "coverage-crash.duckdb")
    day = date(2026, 11, 24)
    start, end = day_bounds(day, "UTC")
    versions = {
        "A": {"time_zone": "UTC", "interval_minutes": 15, "max_gap_seconds": 120.0},
        "B": {"time_zone": "UTC", "interval_minutes": 30, "max_gap_seconds": 30.0},
    }
    with connect(database) as con:
        seed_history(
            con,
            start=start - timedelta(minutes=5),
            end=end,
            agents=24,
            seed=11,
            scopes=load_scopes(DEFAULT_SCOPES),
            time_zone="UTC",
        )
    states: dict[str, dict[str, tuple[Any, ...]]] = {}
    for name in ("B", "A"):  # A last: it is the version in place when the killing starts
        with connect(database) as con:
            build_spans(con, day, CoverageSettings(**versions[name]))
            build_coverage(con, day, CoverageSettings(**versions[name]))
        states[name] = partition_state(database, day)
    assert states["A"] != states["B"]
    extra = {"day": day.isoformat(), **versions}
    rng = random.Random(3)
    seen: dict[str, int] = {}
    rebuilds = 0
    with zygote("coverage", database, tmp_path, json.dumps(extra)) as helper:
        for _ in range(15):
            rebuilds += len(committed(helper.kill_after(rng.uniform(0.05, 0.6))))
            state = partition_state(database, day)
            for table, figures in state.items():
                match = [v for v in versions if states[v][table] == figures]
                assert match, f"{table} of {day} is neither the old nor the new version"
                seen[f"{table}={match[0]}"] = seen.get(f"{table}={match[0]}", 0) + 1
    print(
        f"\ncoverage: 15 SIGKILLs during rebuilds ({rebuilds} rebuilds completed between them); "
        f"each table was whole, old or new version, after every kill: {seen}"
    )
    assert any(key.endswith("=B") for key in seen)  # kills did land after a rebuild committed


def partition_state(database: str, day: date) -> dict[str, tuple[Any, ...]]:
    """A fingerprint per coverage table of the day: row count and figures summed."""
    with connect(database) as con:
        return {
            "agent_status_spans": tuple(
                con.execute(
                    "SELECT count(*), sum(epoch(span_end) - epoch(span_start))::BIGINT "
                    "FROM agent_status_spans WHERE day = ?",
                    [day],
                ).fetchall()[0]
            ),
            "coverage_intervals": tuple(
                con.execute(
                    "SELECT count(*), round(sum(observed_seconds), 3), "
                    "round(sum(avg_available), 3) FROM coverage_intervals WHERE day = ?",
                    [day],
                ).fetchall()[0]
            ),
            "coverage_status_intervals": tuple(
                con.execute(
                    "SELECT count(*), round(sum(agent_seconds), 3) "
                    "FROM coverage_status_intervals WHERE day = ?",
                    [day],
                ).fetchall()[0]
            ),
        }


pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
