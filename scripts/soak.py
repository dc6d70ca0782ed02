"""Soak: everything that touches the DuckDB file at once, for a bounded stretch; figures out.

    .venv/bin/python scripts/soak.py --minutes 30          # a long soak
    .venv/bin/python scripts/soak.py --seconds 75 --json   # what tests/e2e/test_soak.py runs

DuckDB lets one process write a file at a time, and a process reading it keeps writers out.
In production four kinds of process share the file: the scheduled poll (every minute), the
coverage refresh, analysts' notebooks, and someone materializing from the Dagster UI. This
script runs one process of each kind against one file and a Kore-compatible simulator on
127.0.0.1, all at once and faster than in production:

- poller: ``run_tick`` every ``--poll-interval`` seconds with schedule-style tick IDs, through
  ``WarehouseResource.connection`` (the asset's own path);
- rebuilder: today's coverage partition (spans and grid) rebuilt every few seconds;
- reader: notebook-style reads in a loop through ``pipelines.reading.read_many``;
- ui: ``dagster.materialize`` of the snapshot asset, over and over.

Every role records what it did and every exception it met. At the end the database is checked:
every tick the poller and the UI say they wrote is there and whole, nothing is duplicated.
Printed figures: ticks written / expected, errors surfaced (lock errors among them; all must be
0), duplicates, reader queries and their longest wait. Exit status 0 only if all is clean.
Everything runs on loopback and stops by itself at the deadline.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

ROLES = ("poller", "rebuilder", "reader", "ui")
SCOPES_TOML = """
[[scope]]
kind = "all"
name = "All agents"

[[scope]]
kind = "skill"
id = "sk-sales"
name = "Sales"

[[scope]]
kind = "skill"
id = "sk-billing"
name = "Billing"

[[scope]]
kind = "queue"
id = "qu-support"
name = "Support queue"
"""


def _lock_error(text: str) -> bool:
    return "lock" in text.lower() and (
        "could not set" in text.lower() or "conflict" in text.lower()
    )


class _LockWaits(logging.Handler):
    """Counts the lock waits the warehouse logs ("waited N s for the lock on ...")."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0
        self.seconds = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.seconds += float(record.args[0]) if record.args else 0.0


LOCK_WAITS = _LockWaits()
_lock_logger = logging.getLogger("pipelines.warehouse.connection")
_lock_logger.addHandler(LOCK_WAITS)
_lock_logger.setLevel(logging.INFO)


class Recorder:
    """What one role did: counters, wait times and every exception, written out as JSON."""

    def __init__(self, role: str, path: Path):
        self.role = role
        self.path = path
        self.figures: dict[str, Any] = {"role": role, "done": 0, "errors": [], "waits": []}

    def error(self, exc: BaseException) -> None:
        text = f"{type(exc).__name__}: {exc}"
        self.figures["errors"].append(text[:2000])
        print(f"[{self.role}] {text[:300]}", file=sys.stderr, flush=True)

    def save(self) -> None:
        self.figures["lock_waits"] = LOCK_WAITS.count
        self.figures["lock_waited_s"] = round(LOCK_WAITS.seconds, 3)
        waits = self.figures.pop("waits")
        self.figures["max_wait_s"] = round(max(waits), 3) if waits else 0.0
        self.figures["mean_wait_s"] = round(sum(waits) / len(waits), 3) if waits else 0.0
        self.path.write_text(json.dumps(self.figures, indent=2))


def _kore_settings(env: dict[str, str]) -> Any:
    from dataclasses import replace

    from pipelines.kore import KoreSettings

    return replace(
        KoreSettings.from_env(env),
        rate_limit_per_minute=100_000,  # the soak measures locking, not the API budget
        tick_deadline_s=10.0,
    )


def run_role(role: str, database: str, workdir: Path, until: float, interval: float) -> None:
    """One role's loop until the monotonic-independent wall deadline ``until`` (epoch s)."""
    recorder = Recorder(role, workdir / f"{role}.json")
    env = dict(os.environ)
    scopes_path = workdir / "scopes.toml"
    try:
        if role == "poller":
            _poller(recorder, database, env, scopes_path, until, interval)
        elif role == "rebuilder":
            _rebuilder(recorder, database, until, interval)
        elif role == "reader":
            _reader(recorder, database, until)
        elif role == "ui":
            _ui(recorder, database, env, scopes_path, until)
    except BaseException as exc:  # a role that dies is a finding, not a crash of the soak
        recorder.error(exc)
        traceback.print_exc()
    finally:
        recorder.save()


def _poller(
    recorder: Recorder,
    database: str,
    env: dict[str, str],
    scopes_path: Path,
    until: float,
    interval: float,
) -> None:
    from pipelines.polling import run_tick
    from pipelines.resources import WarehouseResource
    from pipelines.scopes import load_scopes

    warehouse = WarehouseResource(database=database)
    settings = _kore_settings(env)
    scopes = load_scopes(scopes_path)
    recorder.figures["ticks"] = []
    n = 0
    while time.time() < until:
        slot = time.time()
        tick_id = f"sched-soak-{n:05d}"
        started = time.monotonic()
        try:
            outcome = run_tick(warehouse.connection, settings, scopes, tick_id=tick_id)
            recorder.figures["ticks"].append(tick_id)
            recorder.figures["done"] += 1
            recorder.figures.setdefault("scopes_failed", 0)
            recorder.figures["scopes_failed"] += len(outcome.failed)
        except Exception as exc:
            recorder.error(exc)
        recorder.figures["waits"].append(time.monotonic() - started)
        n += 1
        time.sleep(max(0.0, slot + interval - time.time()))
    recorder.figures["expected"] = n


def _rebuilder(recorder: Recorder, database: str, until: float, interval: float) -> None:
    from pipelines.coverage import CoverageSettings, build_coverage, build_spans
    from pipelines.warehouse import connect

    settings = CoverageSettings(time_zone="UTC")
    while time.time() < until:
        started = time.monotonic()
        today = datetime.now(UTC).date()
        try:
            with connect(database) as con:
                build_spans(con, today, settings)
                build_coverage(con, today, settings)
            recorder.figures["done"] += 1
        except Exception as exc:
            recorder.error(exc)
        recorder.figures["waits"].append(time.monotonic() - started)
        time.sleep(max(0.0, interval * 1.3 - (time.monotonic() - started)))


def _reader(recorder: Recorder, database: str, until: float) -> None:
    from pipelines import reading

    queries = {
        "ticks": ("SELECT count(*) AS n, max(ended_at) AS last FROM ticks", None),
        "latest": ("demo/latest_tick_status.sql", None),
        "spans": ("SELECT count(*) AS n FROM agent_status_spans", None),
    }
    while time.time() < until:
        started = time.monotonic()
        try:
            reading.read_many(queries, database=database, timeout_s=60)
            recorder.figures["done"] += 1
        except reading.DatabaseMissingError:
            pass  # before the first tick there is nothing to read
        except Exception as exc:
            recorder.error(exc)
        recorder.figures["waits"].append(time.monotonic() - started)
        time.sleep(0.2)


def _ui(
    recorder: Recorder, database: str, env: dict[str, str], scopes_path: Path, until: float
) -> None:
    from dagster import DagsterInstance, materialize

    from pipelines.defs.ingest.assets import availability_snapshots
    from pipelines.kore.config import CONNECTION_FIELDS
    from pipelines.resources import KoreResource, ScopesResource, WarehouseResource

    settings = _kore_settings(env)
    resources = {
        "kore": KoreResource(
            **{name: getattr(settings, name) for name in CONNECTION_FIELDS},
            rate_limit_per_minute=settings.rate_limit_per_minute,
            tick_deadline_seconds=settings.tick_deadline_s,
        ),
        "scopes": ScopesResource(path=str(scopes_path)),
        "warehouse": WarehouseResource(database=database),
    }
    instance = DagsterInstance.ephemeral()
    recorder.figures["ticks"] = []
    attempted = 0
    while time.time() < until:
        started = time.monotonic()
        attempted += 1
        try:
            result = materialize(
                [availability_snapshots], resources=resources, instance=instance,
                raise_on_error=False,
            )  # fmt: skip
            if result.success:
                [event] = result.get_asset_materialization_events()
                recorder.figures["ticks"].append(event.materialization.metadata["tick_id"].value)
                recorder.figures["done"] += 1
            else:
                failures = [
                    str(e.event_specific_data.error)
                    for e in result.all_events
                    if e.event_type_value == "STEP_FAILURE"
                ]
                recorder.error(RuntimeError("materialization failed: " + " | ".join(failures)))
        except Exception as exc:
            recorder.error(exc)
        recorder.figures["waits"].append(time.monotonic() - started)
        time.sleep(1.0)
    recorder.figures["expected"] = attempted


def verify(database: str, figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Check the file against what the roles reported; the summary figures."""
    from pipelines.warehouse import connect

    with connect(database, read_only=True) as con:
        ticks = dict(con.execute("SELECT tick_id, scopes_asked FROM ticks").fetchall())
        raw = dict(con.execute("SELECT tick_id, count(*) FROM raw_responses GROUP BY 1").fetchall())
        duplicates = con.execute(
            "SELECT count(*) FROM (SELECT tick_id, scope_key, agent_id FROM snapshots "
            "GROUP BY ALL HAVING count(*) > 1)"
        ).fetchall()[0][0]
        orphans = con.execute(
            "SELECT count(DISTINCT tick_id) FROM raw_responses "
            "WHERE tick_id NOT IN (SELECT tick_id FROM ticks) "
            # a tick still being landed when its writer stopped: skipped by readers, and
            # withdrawn by the next write
            "AND tick_id NOT IN (SELECT tick_id FROM tick_landing)"
        ).fetchall()[0][0]
        snapshot_rows = con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0]
    reported = figures["poller"].get("ticks", []) + figures["ui"].get("ticks", [])
    lost = [t for t in reported if t not in ticks]
    partial_ticks = [t for t, asked in ticks.items() if raw.get(t, 0) != asked]
    errors = [e for f in figures.values() for e in f["errors"]]
    return {
        "poll_ticks_written": figures["poller"]["done"],
        "poll_ticks_expected": figures["poller"].get("expected", 0),
        "ui_materializations_ok": figures["ui"]["done"],
        "ui_materializations_tried": figures["ui"].get("expected", 0),
        "coverage_rebuilds": figures["rebuilder"]["done"],
        "reader_queries": figures["reader"]["done"],
        "reader_max_wait_s": figures["reader"]["max_wait_s"],
        "reader_mean_wait_s": figures["reader"]["mean_wait_s"],
        "poll_max_s": figures["poller"]["max_wait_s"],
        "rebuild_max_s": figures["rebuilder"]["max_wait_s"],
        "ticks_in_database": len(ticks),
        "snapshot_rows": snapshot_rows,
        "lost_ticks": len(lost),
        "partial_ticks": len(partial_ticks),
        "orphan_ticks": orphans,
        "duplicate_snapshot_groups": duplicates,
        "lock_conflicts_waited_out": sum(f.get("lock_waits", 0) for f in figures.values()),
        "errors_surfaced": len(errors),
        "lock_errors_surfaced": sum(_lock_error(e) for e in errors),
        "scopes_failed": figures["poller"].get("scopes_failed", 0),
        "error_examples": errors[:5],
    }


def soak(seconds: float, workdir: Path, poll_interval: float = 2.5) -> dict[str, Any]:
    """Run every role for ``seconds`` against a fresh database in ``workdir``; the figures."""
    from pipelines.simulator import SimulatorConfig, SimulatorServer

    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "scopes.toml").write_text(SCOPES_TOML)
    database = str(workdir / "soak.duckdb")
    server = SimulatorServer(SimulatorConfig(agents=120, rate_limit_per_minute=None)).start()
    try:
        env = {**os.environ, **server.env(include_secret=True), "AVAILABILITY_PII": "hash"}
        env.pop("AVAILABILITY_PII_KEY", None)
        until = time.time() + seconds
        processes = {}
        for role in ROLES:
            log = open(workdir / f"{role}.log", "w")  # noqa: SIM115 - closed below
            processes[role] = (
                subprocess.Popen(
                    [sys.executable, str(Path(__file__).resolve()), "--role", role,
                     "--database", database, "--workdir", str(workdir),
                     "--until", str(until), "--poll-interval", str(poll_interval)],
                    cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                ),
                log,
            )  # fmt: skip
        for process, log in processes.values():
            try:
                process.wait(timeout=seconds + 180)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
            log.close()
        figures = {}
        for role in ROLES:
            path = workdir / f"{role}.json"
            figures[role] = (
                json.loads(path.read_text())
                if path.exists()
                else {"done": 0, "errors": [f"{role} wrote no figures"], "max_wait_s": 0.0,
                      "mean_wait_s": 0.0}
            )  # fmt: skip
        summary = verify(database, figures)
        summary["seconds"] = seconds
        return summary
    finally:
        server.stop()


def clean(summary: dict[str, Any]) -> bool:
    return (
        summary["errors_surfaced"] == 0
        and summary["lost_ticks"] == 0
        and summary["partial_ticks"] == 0
        and summary["orphan_ticks"] == 0
        and summary["duplicate_snapshot_groups"] == 0
        and summary["poll_ticks_written"] == summary["poll_ticks_expected"] > 0
        and summary["ui_materializations_ok"] == summary["ui_materializations_tried"] > 0
        and summary["coverage_rebuilds"] > 0
        and summary["reader_queries"] > 0
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=None, help="how long to soak")
    parser.add_argument("--seconds", type=float, default=None, help="how long, in seconds")
    parser.add_argument("--poll-interval", type=float, default=2.5)
    parser.add_argument("--workdir", default=None, help="where the database and logs go")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--role", choices=ROLES, help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--until", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role:
        run_role(args.role, args.database, Path(args.workdir), args.until, args.poll_interval)
        return 0
    seconds = args.seconds if args.seconds is not None else 60 * (args.minutes or 5)
    if not 5 <= seconds <= 24 * 3600:
        parser.error("the soak lasts between 5 seconds and 24 hours")
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="soak-"))
    summary = soak(seconds, workdir, args.poll_interval)
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:28} {value}")
        print(f"{'workdir':28} {workdir}")
    return 0 if clean(summary) else 1


if __name__ == "__main__":
    raise SystemExit(main())
