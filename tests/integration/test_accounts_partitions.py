"""Account × day partitions: coverage of each account from its own file in its own zone, and
the schedules asking one run per account for the account's own local day.

The partitions are chosen when the code location loads (an accounts file makes them
account × day), so each test runs ``pipelines.definitions`` in a child process with the
environment set before the import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from pipelines.coverage import day_bounds
from pipelines.settings import PROJECT_ROOT
from pipelines.simulator import SimulatorServer
from pipelines.warehouse import connect
from pipelines.warehouse.accounts import owner
from tests.support.accounts import write_accounts
from tests.support.seeding import seed_days

Factory = Callable[..., SimulatorServer]
DAY = date(2026, 11, 24)

# Materializes the coverage assets of the partitions in argv[1] ([[account, day], ...]) with
# the code location's own resources, as the daemon's runs would; prints each run's outcome.
COVERAGE_RUN = """
import json, sys
from datetime import date
from dagster import DagsterInstance, materialize
from pipelines.definitions import defs
from pipelines.defs.common import coverage_partitions, partition_key_for
from pipelines.defs.coverage.assets import agent_status_spans, coverage_intervals
from pipelines.defs.coverage.checks import grid_is_complete, spans_do_not_overlap
instance = DagsterInstance.ephemeral()
resources = defs.resources
outcomes = {"dimensions": [d.name for d in coverage_partitions.partitions_defs]}
for name, day in json.loads(sys.argv[1]):
    key = partition_key_for(name, date.fromisoformat(day))
    result = materialize(
        [agent_status_spans, coverage_intervals, spans_do_not_overlap, grid_is_complete],
        partition_key=key, resources=resources, instance=instance, raise_on_error=False,
    )
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    outcomes[name] = {"key": str(key), "success": result.success, "checks": checks}
print(json.dumps(outcomes))
"""

# Evaluates both coverage schedules at the time in argv[1]; prints what each asks for and
# whether the partition exists at that time.
SCHEDULES_RUN = """
import json, sys
from datetime import datetime
from dagster import build_schedule_context
from pipelines.defs.common import coverage_partitions
from pipelines.defs.coverage.schedules import finalize_coverage, refresh_coverage_today
at = datetime.fromisoformat(sys.argv[1])
existing = {str(k) for k in coverage_partitions.get_partition_keys(current_time=at)}
def asked(requests):
    return [
        {
            "key": str(r.partition_key),
            "run_key": r.run_key,
            "exists": str(r.partition_key) in existing,
            "whole_job": r.asset_selection is None,
        }
        for r in requests
    ]
context = lambda: build_schedule_context(scheduled_execution_time=at)
print(json.dumps({
    "refresh": asked(refresh_coverage_today(context())),
    "finalize": asked(finalize_coverage(context())),
}))
"""


def child(script: str, argument: str, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script, argument],
        cwd=PROJECT_ROOT, env={**os.environ, **env}, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def truth(server: SimulatorServer, cells: pd.Series) -> pd.DataFrame:
    """Each 15-minute cell's mean agents AVAILABLE and BUSY in the simulator's own timeline."""
    lo, hi = cells.min().to_pydatetime(), cells.max().to_pydatetime() + timedelta(minutes=15)
    spans = server.simulator.timeline(lo, hi)
    rows = []
    for cell in cells:
        start = cell.to_pydatetime()
        end = start + timedelta(minutes=15)
        seconds = {"AVAILABLE": 0.0, "BUSY": 0.0}
        for span in spans:
            if span.bucket in seconds and span.start < end and span.end > start:
                seconds[span.bucket] += (
                    min(span.end, end) - max(span.start, start)
                ).total_seconds()
        rows.append((seconds["AVAILABLE"] / 900, seconds["BUSY"] / 900))
    return pd.DataFrame(rows, columns=["available", "busy"])


@pytest.mark.slow
@pytest.mark.subprocess
def test_each_accounts_coverage_follows_its_own_simulator_in_its_own_zone(
    simulator_factory: Factory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    servers = {
        "east": simulator_factory(agents=24, seed=11, time_zone="America/New_York"),
        "west": simulator_factory(agents=18, seed=29, time_zone="Asia/Tokyo"),
    }
    env = write_accounts(tmp_path / "accounts.toml", servers)
    env |= {
        "AVAILABILITY_DB": str(tmp_path / "warehouse.duckdb"),
        "AVAILABILITY_TIME_ZONE": "America/New_York",
        "AVAILABILITY_REPORTS_DIR": str(tmp_path / "reports"),
    }
    files = {name: tmp_path / f"warehouse.{name}.duckdb" for name in servers}
    for name, server in servers.items():
        config = server.config
        seed_days(
            str(files[name]), DAY, agents=config.agents, seed=config.seed, zone=config.time_zone
        )
    began = time.monotonic()
    outcomes = child(COVERAGE_RUN, json.dumps([[name, DAY.isoformat()] for name in servers]), env)
    seconds = time.monotonic() - began
    figures = []
    assert outcomes["dimensions"] == ["account", "day"]

    for name, server in servers.items():
        outcome = outcomes[name]
        assert outcome["key"] == f"{name}|{DAY.isoformat()}"
        assert outcome["success"] and all(outcome["checks"].values()), outcome
        with connect(files[name], read_only=True) as con:
            assert owner(con) == name  # the run wrote through the account's own binding
            measured = con.execute(
                "SELECT interval_start, avg_available, avg_busy FROM coverage_intervals "
                "WHERE day = ? AND scope_key = 'all' ORDER BY interval_start",
                [DAY],
            ).df()
            agents = con.execute("SELECT count(DISTINCT agent_id) FROM agent_status_spans")
            agents = agents.fetchall()[0][0]
        assert agents == server.config.agents
        # The day is the account's local day: its first cell starts at its own midnight.
        start, end = day_bounds(DAY, server.config.time_zone)
        first = measured["interval_start"].min().to_pydatetime()
        assert first == start and len(measured) == (end - start) / timedelta(minutes=15)
        expected = truth(server, measured["interval_start"])
        error_available = (measured["avg_available"] - expected["available"]).abs()
        error_busy = (measured["avg_busy"] - expected["busy"]).abs()
        assert error_available.mean() < 0.25 and error_available.max() < 1.5, name
        assert error_busy.mean() < 0.25 and error_busy.max() < 1.5, name
        assert expected["busy"].sum() > 10  # the day had real work in it
        figures.append(
            f"coverage {name} ({server.config.time_zone}, {agents} agents): |error| available "
            f"mean {error_available.mean():.3f} max {error_available.max():.2f}, busy mean "
            f"{error_busy.mean():.3f} max {error_busy.max():.2f}"
        )
    assert not (tmp_path / "warehouse.duckdb").exists()
    with capsys.disabled():
        print(f"\ncoverage child process, two partitions: {seconds:.1f} s", *figures, sep="\n")


def local_day(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


@pytest.mark.subprocess
def test_the_schedules_ask_one_run_per_account_for_its_own_local_day(tmp_path: Path) -> None:
    zones = {"kiwi": "Pacific/Auckland", "coast": "America/Los_Angeles"}
    lines = []
    for name, zone in zones.items():
        lines += [
            "[[account]]",
            f'name = "{name}"',
            f'host = "https://{name}.kore.example"',
            f'bot_id = "st-{name}"',
            f'account_id = "acc-{name}"',
            f'time_zone = "{zone}"',
            f'client_id_env = "{name.upper()}_ID"',
            f'client_secret_env = "{name.upper()}_SECRET"',
        ]
    (tmp_path / "accounts.toml").write_text("\n".join(lines) + "\n")
    env = {
        "AVAILABILITY_ACCOUNTS_FILE": str(tmp_path / "accounts.toml"),
        "AVAILABILITY_TIME_ZONE": "UTC",
        "AVAILABILITY_LOOKBACK_DAYS": "2",
        "KORE_STATUS_HISTORY_ENABLED": "true",
    }
    # Late morning in UTC: already tomorrow in Auckland, still before dawn in Los Angeles.
    at = datetime(2026, 11, 25, 11, 30, tzinfo=UTC)
    assert local_day(at, zones["kiwi"]) != local_day(at, zones["coast"])
    asked = child(SCHEDULES_RUN, at.isoformat(), env)

    today = {name: local_day(at, zone) for name, zone in zones.items()}
    assert [r["key"] for r in asked["refresh"]] == [f"{n}|{d}" for n, d in today.items()]
    expected = [f"{n}|{d - timedelta(days=k)}" for n, d in today.items() for k in (1, 2)]
    assert [r["key"] for r in asked["finalize"]] == expected
    # Yesterday's run is the whole job (history first); the day before, the rebuild alone.
    assert [r["whole_job"] for r in asked["finalize"]] == [True, False, True, False]
    for requests in asked.values():
        assert all(r["exists"] for r in requests), requests
        assert len({r["run_key"] for r in requests}) == len(requests)
