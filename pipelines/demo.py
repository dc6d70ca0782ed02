"""`make demo`: the simulator, a few ticks through the Dagster CLI, and what landed.

Runs the same way a user would: the simulator as its own process on a free loopback port,
each tick as a separate `dagster asset materialize` run against the code location.
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
from pathlib import Path

import pandas as pd

from pipelines.resources import DEFAULT_DATABASE, PROJECT_ROOT
from pipelines.simulator import SimulatorConfig
from pipelines.warehouse import connect, read_sql

DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"


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
        tick = con.execute(read_sql("checks/last_tick.sql")).df().iloc[0]
        table = con.execute(read_sql("ingest/latest_tick_status.sql")).df()
    return tick, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="availability demo", description=__doc__)
    parser.add_argument("--ticks", type=int, default=4, help="polls to run (default 4)")
    parser.add_argument("--pause", type=float, default=10.0, help="seconds between polls")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    database = os.environ.get("AVAILABILITY_DB", str(DEFAULT_DATABASE))
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(ensure_dagster_home(Path(env.get("DAGSTER_HOME", DAGSTER_HOME))))
    env["AVAILABILITY_DB"] = database
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
                f"[demo]   ok in {seconds:.1f}s: {tick_row.scopes_ok}/{tick_row.scopes_asked} "
                f"scopes answered, tick {tick_row.tick_id}"
            )
            if tick < args.ticks:
                time.sleep(args.pause)
        say("[demo] stopping the simulator")
    tick_row, table = latest_tick_table(database)
    with connect(database, read_only=True) as con:
        totals = con.execute(
            "SELECT (SELECT count(*) FROM ticks), (SELECT count(*) FROM snapshots)"
        ).fetchall()[0]
    say(f"\nAgents per status per scope, latest tick {tick_row.tick_id} ({tick_row.ended_at}):")
    say(table.to_string(index=False))
    say(f"\n{totals[0]} ticks and {totals[1]} snapshot rows in {database}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
