"""Crash safety: SIGKILL the writer at chosen points of its work, then check nothing is torn.

A scheduled poller can die at any instant (OOM killer, a node drained, a deploy). Every tick is
published by one DuckDB transaction (its answers land before it, batch by batch, listed as
being landed, which readers skip) and every coverage partition is rebuilt in one transaction
per table, so after a kill the database must open (replaying its WAL), hold only whole ticks
(and at most the landed answers of the one tick being written) and whole partitions, keep every
tick whose commit was reported, and let the next run go on.

Writers are forked from a "zygote" process that has imported everything once (a fresh Python
with pandas and DuckDB takes a second to start), so fifty kills take about a minute.
The zygote never opens the database itself; its children do, and die by SIGKILL mid-write.

When to kill is decided by the writer's progress, never by a clock, so a slow or busy machine
changes how long the test takes, not where the kills land. In the zygote every DuckDB
connection counts its calls as steps, labelled by the statement's first keyword (INSERT,
COMMIT, ...) or the call (register, close). A first writer is let through two writes and
killed; from its counts the test sizes, per label, the steps of about three writes. Each later
writer is told a target, the n-th step of one label with n drawn at random from that range,
and what to do there: "pause" reports the step and waits, so the kill lands exactly between
two statements (inside a transaction, where a torn write would show); "run" reports it and
carries on, so the kill lands inside that statement, commit or checkpoint. The test kills as
soon as the report arrives. The targets rotate through any step, a COMMIT and a close (where
DuckDB checkpoints), each paused at and run into.

Everything is bounded: a child writes a bounded number of times and pauses for at most
``PAUSE_S``, the zygote stops when its stdin closes (or after 15 minutes), every wait for a
report gives up after ``REPORT_TIMEOUT_S``; the simulator (for the run_tick variant) is on
127.0.0.1.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
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
# Safety bounds only (a hung child fails the test instead of hanging it); no kill waits on them.
REPORT_TIMEOUT_S = 180.0
# Where writers are killed, in turn: at the n-th step of any kind, the n-th COMMIT (where DuckDB
# writes its WAL and, past the checkpoint threshold, checkpoints) or the n-th close (where it
# checkpoints), paused there or running into it.
TARGETS = tuple((label, how) for label in ("any", "COMMIT", "close") for how in ("pause", "run"))

ZYGOTE = r"""
import json, os, re, signal, sys, time
from datetime import UTC, datetime, timedelta
from functools import partial

import duckdb
import pandas as pd

from pipelines.coverage import CoverageSettings, build_coverage, build_spans
from pipelines.kore import KoreSettings
from pipelines.polling import run_tick
from pipelines.scopes import Scope
from pipelines.warehouse import LANDING_COLUMNS, PiiPolicy, Tick, connect, write_tick

mode, db, logdir = sys.argv[1:4]
extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps killed children
REPORT = 1  # stdout, a pipe the test reads; forked children write to it too
PAUSE_S = 120  # a paused child is killed at once; this only bounds an orphan's life
WRITES = 30  # per child; the test kills within the first three or four
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


class Progress:
    # The child's steps: every counted DuckDB call, labelled by the statement's first keyword
    # (COMMIT, INSERT, ...) or the call (register, close). At the ``target``-th step labelled
    # ``label`` ("any": every step) it reports to the test and, with how == "pause", waits
    # there to be killed; with how == "run" it goes on into the step.

    def __init__(self):
        self.run, self.label, self.target, self.how, self.log = -1, "any", 0, "run", -1
        self.counts = {"any": 0}

    def report(self, text):
        # One line to the test, which reads them as they come (small writes to a pipe are whole).
        os.write(REPORT, f"run {self.run} step {self.counts['any']} {text}\n".encode())

    def say(self, text):
        # The same, and a line to the child's log, which the test reads after the child's death.
        os.write(self.log, f"{text}\n".encode())
        self.report(text)

    def step(self, call, args):
        label = call.upper() if call in ("begin", "commit", "rollback") else call
        if call in ("execute", "executemany", "sql", "query") and args:
            words = re.sub(r"--[^\n]*", "", str(args[0])).split()
            label = words[0].upper() if words else call
        for key in {"any", label}:
            self.counts[key] = self.counts.get(key, 0) + 1
        if self.label not in ("any", label) or self.counts[self.label] != self.target:
            return
        self.report(f"at {label}")
        if self.how == "pause":
            time.sleep(PAUSE_S)
            os._exit(3)


PROGRESS = Progress()
COUNTED = {"execute", "executemany", "sql", "query", "register", "unregister", "close",
           "begin", "commit", "rollback"}


class CountedConnection:
    # A DuckDB connection whose calls are steps; the pipeline code cannot tell the difference.

    def __init__(self, con):
        self._con = con

    def __getattr__(self, name):
        attribute = getattr(self._con, name)
        if name not in COUNTED:
            return attribute

        def counted(*args, **kwargs):
            PROGRESS.step(name, args)
            return attribute(*args, **kwargs)

        return counted

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_connect = duckdb.connect
duckdb.connect = lambda *args, **kwargs: CountedConnection(_connect(*args, **kwargs))


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


def open_db(checkpoint_often):
    # Some writes checkpoint at their commit, so that kills also land in those checkpoints;
    # the others keep DuckDB's default threshold, as production does, so their commit stays in
    # the WAL until the connection closes (and checkpoints) and a kill before that leaves a WAL.
    con = connect(db)
    handle = con.__enter__()
    if checkpoint_often:
        handle.execute("SET checkpoint_threshold = '256KB'")
    return con, handle


def child():
    con, handle = open_db(False)
    try:
        n = handle.execute("SELECT count(*) FROM ticks").fetchall()[0][0]
    finally:
        con.__exit__(None, None, None)
    PROGRESS.say(f"start {n}")
    for i in range(WRITES):
        if mode == "write":
            replace = i % 3 == 2 and n > 0  # every third write replaces the last tick
            number = n - 1 if replace else n
            tick_id = f"t-{number:05d}"
            at, frame, sends = landing(number)
            con, handle = open_db(i % 3 == 0)
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
            con, handle = open_db(i % 4 < 2)  # each version both ways
            try:
                build_spans(handle, day, settings)
                PROGRESS.say(f"spans {version}")
                build_coverage(handle, day, settings)
            finally:
                con.__exit__(None, None, None)
            tick_id = f"coverage {version}"
        PROGRESS.say(f"done {tick_id}")
        PROGRESS.report("counts " + json.dumps(PROGRESS.counts, separators=(",", ":")))
    PROGRESS.report("exit")


print("ready", flush=True)
stop_at = time.monotonic() + 900
for line in sys.stdin:
    if time.monotonic() > stop_at:
        break
    words = line.split()
    if words[:1] != ["spawn"]:
        continue
    pid = os.fork()
    if pid == 0:
        try:
            PROGRESS.run, PROGRESS.label, PROGRESS.how = int(words[1]), words[2], words[4]
            PROGRESS.target = int(words[3])
            PROGRESS.log = os.open(os.path.join(logdir, f"run-{words[1]}.log"),
                                   os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            PROGRESS.report(f"pid {os.getpid()}")  # first, so no report can come before it
            child()
        finally:
            os._exit(0)
"""


class Zygote:
    """The forking helper process: spawns writers, reads their progress, SIGKILLs them."""

    def __init__(self, process: subprocess.Popen[str], logdir: Path):
        self.process = process
        self.logdir = logdir
        self.runs = 0
        self.spans: dict[str, int] = {}  # steps of three writes by label, from a first writer
        self.kills = {f"{how} {label}": 0 for label, how in TARGETS}
        self._reports: queue.Queue[list[str] | None] = queue.Queue()
        threading.Thread(target=self._read_reports, daemon=True).start()

    def _read_reports(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._reports.put(line.split())
        self._reports.put(None)

    def _next_report(self, deadline: float) -> list[str]:
        try:
            words = self._reports.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            raise AssertionError(f"no report from the zygote in {REPORT_TIMEOUT_S} s") from None
        assert words is not None, "the zygote exited"
        return words

    def spawn(self, label: str = "any", target: int = 0, how: str = "run") -> int:
        """Fork a writer told to stop at its ``target``-th ``label`` step (0: never); its pid."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"spawn {self.runs} {label} {target} {how}\n")
        self.process.stdin.flush()
        self.runs += 1
        return int(self.wait_for("pid")[5])

    def wait_for(self, event: str, count: int = 1, what: str = "") -> list[str]:
        """Wait until the current writer has reported ``event`` ``count`` times; that report.

        Reports are ``run <run> step <step> <event> ...``; late ones of earlier, killed writers
        are skipped. A writer that finishes without getting there fails the test: its steps are
        no longer counted (say the pipeline stopped opening DuckDB through ``duckdb.connect``).
        """
        deadline = time.monotonic() + REPORT_TIMEOUT_S
        run, seen = str(self.runs - 1), 0
        while True:
            words = self._next_report(deadline)
            if words[:2] != ["run", run]:
                continue
            seen += words[4] == event
            if seen == count:
                return words
            assert words[4] != "exit", f"writer finished at step {words[3]} before {what or event}"

    def kill_at(self, rng: random.Random) -> list[str]:
        """Kill the next writer at the next kind of target (the first one after two writes,
        to size the ranges); its log lines."""
        if not self.spans:
            return self.calibrate()
        label, how = TARGETS[sum(self.kills.values()) % len(TARGETS)]
        target = rng.randint(1, self.spans[label])
        pid = self.spawn(label, target, how)
        self.wait_for("at", what=f"its {label} step {target}")
        self.kills[f"{how} {label}"] += 1
        return self.kill(pid)

    def calibrate(self) -> list[str]:
        """Let the first writer finish two writes, kill it, and size the ranges of steps."""
        pid = self.spawn()
        first = json.loads(self.wait_for("counts")[5])
        second = json.loads(self.wait_for("counts")[5])
        self.spans = {
            label: first.get(label, 0) + 2 * (second.get(label, 0) - first.get(label, 0))
            for label, _ in TARGETS
        }
        assert min(self.spans.values()) > 0, (
            f"steps by label in two writes: {second}; every target needs some (does the pipeline "
            "still open DuckDB through duckdb.connect and commit its writes?)"
        )
        return self.kill(pid)

    def kill(self, pid: int) -> list[str]:
        """SIGKILL the writer, wait until it is gone; its log lines."""
        os.kill(pid, signal.SIGKILL)
        for _ in range(1000):  # bounded: a killed process disappears within milliseconds
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
        landing = {row[0] for row in con.execute("SELECT tick_id FROM tick_landing").fetchall()}
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
    # A writer killed while landing leaves its answers listed as being landed (tick_landing),
    # which readers skip and the next write deletes: at most one such tick, nothing else of it.
    assert len(landing) <= 1 and not landing & set(ticks), landing
    orphans = (set(raw) - landing | set(snaps) | set(caps) | logged) - set(ticks)
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
            lines = helper.kill_at(rng)
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
        f"\ncrash loop: {kills} SIGKILLs in {elapsed:.0f} s (by target: {helper.kills}, "
        f"steps 1-{helper.spans['any']}), "
        f"{len(reported)} commits reported and all present, {before} whole ticks after the last "
        f"kill ({figures['snapshot_rows']} snapshot rows), {with_wal} kills left a WAL to replay, "
        f"{mid_write} cut an iteration short; 0 half-written ticks; the next run went on to "
        f"{after['ticks']} ticks"
    )
    assert kills >= 50 and reported and with_wal > 0 and all(helper.kills.values())


def _run_to_completion(database: str, tmp_path: Path) -> list[str]:
    """One more writer, not killed: it must start from the surviving ticks and go on."""
    final = tmp_path / "final"
    final.mkdir()
    sizes = json.dumps({"scope_count": SCOPE_COUNT, "agent_count": AGENTS_PER_SCOPE})
    with zygote("write", database, final, sizes) as helper:
        pid = helper.spawn()
        helper.wait_for("done", 3)  # let it write three ticks, then stop it the same hard way
        return helper.kill(pid)


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
            reported |= committed(helper.kill_at(rng))
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
            rebuilds += len(committed(helper.kill_at(rng)))
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
