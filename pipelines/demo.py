"""`make demo`: the simulator, today's history, a few live ticks and today's coverage report.

Runs the same way a user would: the simulator as its own process on a free loopback port,
each tick and the coverage rebuild as separate `dagster asset materialize` runs against the
code location. So that the coverage report has a day to show, the part of today before the
first live poll is filled with synthetic history from the simulator's own model (marked
synthetic in `ticks`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from pipelines import settings
from pipelines.coverage import day_bounds
from pipelines.coverage.finalized import day_basis, reconciliation
from pipelines.report import load_summary, summary_text, verdict_lines
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_REPORTS_DIR, DEFAULT_SCOPES, PROJECT_ROOT
from pipelines.simulator import SimulatorConfig
from pipelines.simulator.history import seed_history
from pipelines.warehouse import connect, fetch_all, fetch_df

DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"
COVERAGE_ASSETS = ",".join(
    [
        "agent_status_spans",
        "coverage_intervals",
        "demand_forecast",
        "demand_requirements",
        "staffing_requirements",
        "coverage_vs_requirement",
        "coverage_report",
    ]
)
# The demo's reporting settings, unless the caller set their own (`make dev` uses them too).
DEMO_SETTINGS = {
    "AVAILABILITY_TIME_ZONE": "America/New_York",
    "AVAILABILITY_TARGETS_FILE": str(PROJECT_ROOT / "config" / "targets.example.csv"),
    "AVAILABILITY_FORECAST_FILE": str(PROJECT_ROOT / "config" / "forecast.example.csv"),
    "AVAILABILITY_SCHEDULES_FILE": str(PROJECT_ROOT / "config" / "schedules.example.csv"),
}
# The demo leaves the example forecast file out: the scopes the targets file does not cover
# (retention, support, Spanish, technical support, VIP) then get their requirement from the
# simulator's own contacts, through Kore's Contact Volume and Erlang A, as a tenant without a
# hand-written forecast would.
DEMO_WITHOUT = ("AVAILABILITY_FORECAST_FILE",)
# Yesterday and today of contact volume are what the report needs; 28 days (the default first
# sync) take several runs a minute apart within the rate budget.
DEMO_VOLUME = {"KORE_CALLVOLUME_FIRST_SYNC_DAYS": "2"}


def say(message: str) -> None:
    print(message, flush=True)


def ensure_dagster_home(path: Path = DAGSTER_HOME) -> Path:
    """A persistent DAGSTER_HOME with the project's instance settings (pool limit of 1)."""
    path.mkdir(parents=True, exist_ok=True)
    target = path / "dagster.yaml"
    if not target.exists():
        shutil.copyfile(PROJECT_ROOT / "config" / "dagster.yaml", target)
    return path.resolve()


@contextmanager
def running_simulator(extra_args: list[str] | None = None) -> Iterator[str]:
    """Start ``availability simulate`` on a free loopback port; yield its base URL."""
    command = [sys.executable, "-m", "pipelines.simulator", "--port", "0", *(extra_args or [])]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("listening on "):
            raise RuntimeError(f"simulator did not start (first line: {line!r})")
        yield line.split("listening on ", 1)[1].strip()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def simulator_env(base_url: str, config: SimulatorConfig | None = None) -> dict[str, str]:
    """The environment that points the pipeline at a simulator (its own, non-secret, defaults)."""
    config = config or SimulatorConfig()
    return {
        "KORE_HOST": base_url,
        "KORE_BOT_ID": config.bot_id,
        "KORE_ACCOUNT_ID": config.account_id,
        "KORE_CLIENT_ID": config.client_id,
        "KORE_CLIENT_SECRET": config.client_secret,
        "KORE_ORG_ID": config.org_id,
    }


def materialize(selection: str, env: dict[str, str], partition: str | None = None) -> float:
    """One run through the Dagster CLI; returns its wall time, raises with its output on failure."""
    command = [
        sys.executable, "-m", "dagster", "asset", "materialize",
        "-m", "pipelines.definitions", "--select", selection,
    ]  # fmt: skip
    if partition:
        command += ["--partition", partition]
    started = time.monotonic()
    done = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise RuntimeError(f"`{' '.join(command[2:])}` failed:\n{tail}")
    return time.monotonic() - started


def latest_tick_table(database: str | Path) -> tuple[pd.Series, pd.DataFrame]:
    with connect(database, read_only=True) as con:
        tick = fetch_df(con, "checks/last_tick.sql").iloc[0]
        table = fetch_df(con, "demo/latest_tick_status.sql")
    return tick, table


def seed_history_until_live_polls(
    database: str, env: dict[str, str], agents: int, seed: int
) -> tuple[date, date]:
    """Fill yesterday and today, up to the first live poll (or now), with synthetic ticks.

    Yesterday is then a whole simulated day for the report; today gets the live polls on top.
    Returns (yesterday, today) in the reporting time zone.
    """
    time_zone = env["AVAILABILITY_TIME_ZONE"]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    today = now.astimezone(ZoneInfo(time_zone)).date()
    yesterday = today - timedelta(days=1)
    start, _ = day_bounds(yesterday, time_zone)
    with connect(database) as con:
        ((first,),) = fetch_all(con, "demo/first_poll_since.sql", since=start)
        end = min(now, first) if first else now
        if end <= start:
            say("[demo] live polls cover the whole range already; nothing to seed")
            return yesterday, today
        scopes = load_scopes(env.get("AVAILABILITY_SCOPES", str(DEFAULT_SCOPES)))
        summary = seed_history(
            con, start=start, end=end, agents=agents, seed=seed, scopes=scopes,
            time_zone=time_zone,
        )  # fmt: skip
    say(f"[demo] synthetic history from {yesterday} 00:00 local to {end:%Y-%m-%d %H:%M} UTC:")
    say(f"[demo]   {summary.line()}")
    return yesterday, today


def sync_contact_volume(database: str, env: dict[str, str], until: datetime, runs: int = 5) -> None:
    """Kore's contact volume up to ``until`` (today's start): the first sync fetches
    KORE_CALLVOLUME_FIRST_SYNC_DAYS days a few pages per run within the rate budget, so it runs
    until the volume reaches yesterday's end, at most ``runs`` times."""
    for run in range(1, runs + 1):
        say(f"[demo] contact volume {run}: dagster asset materialize (Kore's callvolume)")
        seconds = materialize("contact_volume", env)
        with connect(database, read_only=True) as con:
            ((end,),) = fetch_all(con, "demo/contact_volume_end.sql")
        say(f"[demo]   ok in {seconds:.1f}s; volume up to {end:%Y-%m-%d %H:%M} UTC")
        if end is not None and end >= until:
            return
    say("[demo]   the volume has not reached yesterday's end: its requirement is a forecast")


def _mae(agents: float, share: float | None) -> str:
    return f"{agents:.2f}" + (f" ({share:.1%})" if pd.notna(share) else "")


def basis_lines(database: str, day: date) -> list[str]:
    """What the day's figures rest on, and how far the polls were from the exact history."""
    with connect(database, read_only=True) as con:
        basis = day_basis(con, day)
        frame = reconciliation(con, day)
    if not basis.finalized:
        return [f"\n{day} is provisional: counted from polls (no complete status history)."]
    lines = [
        f"\n{day} is finalized: {basis.finalized} scope(s) counted from Kore's exact status "
        f"history, {basis.provisional} from polls.",
        "Polls against that exact history (mean absolute error per interval cell, agents and",
        "share of the exact mean):",
    ]
    compared = frame[(frame["basis"] == "finalized") & (frame["cells_compared"] > 0)]
    for r in compared.sort_values("scope_key").to_dict("records"):
        lines.append(
            f"  {r['scope_key']:<24} available {_mae(r['mae_available'], r['mae_available_share'])}"
            f", on-queue {_mae(r['mae_on_queue'], r['mae_on_queue_share'])}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="availability demo", description=__doc__)
    parser.add_argument("--ticks", type=int, default=4, help="polls to run (default 4)")
    parser.add_argument("--pause", type=float, default=10.0, help="seconds between polls")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    database = settings.get("AVAILABILITY_DB")
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(ensure_dagster_home(Path(env.get("DAGSTER_HOME", DAGSTER_HOME))))
    env["AVAILABILITY_DB"] = database
    for name, value in DEMO_SETTINGS.items():
        if name not in DEMO_WITHOUT:
            env.setdefault(name, value)
    for name, value in DEMO_VOLUME.items():
        env.setdefault(name, value)
    yesterday, today = seed_history_until_live_polls(database, env, args.agents, args.seed)
    say(f"[demo] starting the Kore-compatible simulator ({args.agents} agents, seed {args.seed})")
    sim_args = ["--agents", str(args.agents), "--seed", str(args.seed)]
    with running_simulator(sim_args) as base_url:
        env.update(simulator_env(base_url))
        say(f"[demo] simulator listening on {base_url}; database {database}")
        for tick in range(1, args.ticks + 1):
            say(f"[demo] tick {tick}/{args.ticks}: dagster asset materialize (poll)")
            seconds = materialize("availability_snapshots", env)
            tick_row, _ = latest_tick_table(database)
            say(
                f"[demo]   ok in {seconds:.1f}s: {tick_row['mode']} mode, {tick_row['requests']} "
                f"request(s) to Kore, {tick_row.scopes_ok}/{tick_row.scopes_asked} answered, "
                f"tick {tick_row.tick_id}"
            )
            if tick < args.ticks:
                time.sleep(args.pause)
        sync_contact_volume(
            database, env, until=day_bounds(today, env["AVAILABILITY_TIME_ZONE"])[0]
        )
        say(f"[demo] exact status history for {yesterday}: dagster asset materialize (Kore's")
        say("[demo]   Agent Status Details), so the closed day is finalized, not sampled")
        seconds = materialize("agent_status_history", env, partition=yesterday.isoformat())
        say(f"[demo]   ok in {seconds:.1f}s")
        say("[demo] stopping the simulator")
    for day in (yesterday, today):
        say(f"[demo] coverage for {day}: dagster asset materialize --partition {day}")
        seconds = materialize(COVERAGE_ASSETS, env, partition=day.isoformat())
        say(f"[demo]   ok in {seconds:.1f}s")
    tick_row, table = latest_tick_table(database)
    with connect(database, read_only=True) as con:
        totals = con.execute(
            "SELECT (SELECT count(*) FROM ticks), (SELECT count(*) FROM snapshots)"
        ).fetchall()[0]
    say(
        f"\nAgents per status per scope, latest tick {tick_row.tick_id} ({tick_row.ended_at}; "
        f"{tick_row['mode']} mode, {tick_row['requests']} request(s) to Kore):"
    )
    say(table.to_string(index=False))
    say(f"\n{totals[0]} ticks and {totals[1]} snapshot rows in {database}")
    with connect(database, read_only=True) as con:
        summary = load_summary(con, yesterday)
    reports = Path(env.get("AVAILABILITY_REPORTS_DIR", str(DEFAULT_REPORTS_DIR)))
    zone = env["AVAILABILITY_TIME_ZONE"]
    say(
        f"\nNet staffing for the simulated day {yesterday} ({zone}), by shortfall.\n"
        "On-queue = available + busy on contacts; required = on-queue agents needed (before\n"
        "shrinkage); net = on-queue - required. Every figure is over the same judged intervals\n"
        "(a requirement, observed, not still ahead); Met counts those with on-queue >= required."
    )
    say(summary_text(summary))
    say("")
    for line in verdict_lines(summary):
        say(line)
    for line in basis_lines(database, yesterday):
        say(line)
    say(f"\nReport: {reports / yesterday.isoformat() / 'coverage.html'}")
    say(f"CSV:    {reports / yesterday.isoformat() / 'coverage.csv'}")
    say(f"Today so far (synthetic until the live polls): {reports / today.isoformat()}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
