"""The production shape, run for real: Dagster on PostgreSQL with its three processes.

A throwaway PostgreSQL (Debian's binaries) on 127.0.0.1 holds Dagster's runs, events and
schedule state through deploy/dagster.yaml, unchanged (it reads the connection from the
environment). `dagster code-server start`, `dagster-daemon run` and `dagster-webserver` run as
separate processes, each in a process group of its own, the webserver and daemon loading the
code location from the code server through deploy/workspace.yaml. The Kore-compatible
simulator answers on 127.0.0.1.

The test turns the poll schedule on through the webserver's GraphQL, waits for two scheduled
polls (the daemon evaluates schedules at each minute boundary, so this is real minutes: up
to about two), launches today's coverage partition through the queue, and reads the run
records back from PostgreSQL and the landed ticks from DuckDB. Every wait is a bounded loop
on observable state (run rows in PostgreSQL, the webserver answering).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipelines.coverage import CoverageSettings, interval_count
from pipelines.defs.common import DUCKDB_POOL
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES, PROJECT_ROOT
from pipelines.simulator import SimulatorServer
from tests.support.browser_support import free_port, read_db, rows
from tests.support.deployment import (
    Deployment,
    Group,
    graphql,
    overlapping_writer_steps,
    stop_groups,
    wait_for_location,
    wait_for_runs,
)
from tests.support.postgres import Postgres, missing_reason, running_postgres

REASON = missing_reason()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]

DEPLOY = PROJECT_ROOT / "deploy"
LOCATION = "kore_availability"
REPOSITORY = "__repository__"
POLL_SCHEDULE = "poll_availability_every_minute"
COVERAGE_JOB = "refresh_coverage"
ZONE = "UTC"
SCHEDULED_POLLS = 2
# Bounds, not sleeps: two cron minutes plus the runs on a busy 2-core machine.
STARTUP_S = 90.0
POLLS_S = 170.0
COVERAGE_S = 120.0


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    with running_postgres() as server:
        yield server


@pytest.fixture
def deployment(
    postgres: Postgres,
    simulator_factory: Callable[..., SimulatorServer],
    tmp_path: Path,
) -> Iterator[Deployment]:
    """PostgreSQL, the simulator and the three Dagster processes; all stopped at teardown."""
    began = time.monotonic()
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    database = str(tmp_path / "warehouse.duckdb")
    simulator = simulator_factory(agents=60, rate_limit_per_minute=None)
    code_port, web_port = free_port(), free_port()
    env = process_env(
        {
            **simulator.env(include_secret=True),
            **postgres.env(),
            "DAGSTER_HOME": str(home),
            "DAGSTER_CODE_SERVER_HOST": "127.0.0.1",
            "DAGSTER_CODE_SERVER_PORT": str(code_port),
            "AVAILABILITY_DB": database,
            "AVAILABILITY_REPORTS_DIR": str(tmp_path / "reports"),
        }
    )
    bin_dir = Path(sys.executable).parent
    workspace = str(DEPLOY / "workspace.yaml")
    commands = {
        "code server": [
            str(bin_dir / "dagster"), "code-server", "start", "-m", "pipelines.definitions",
            "-h", "127.0.0.1", "-p", str(code_port), "--location-name", LOCATION,
        ],
        "daemon": [str(bin_dir / "dagster-daemon"), "run", "-w", workspace],
        "webserver": [
            str(bin_dir / "dagster-webserver"), "-w", workspace,
            "-h", "127.0.0.1", "-p", str(web_port),
        ],
    }  # fmt: skip
    groups: list[Group] = []
    deployment = Deployment(f"http://127.0.0.1:{web_port}", groups, postgres, database, began)
    try:
        for name, command in commands.items():
            log = tmp_path / f"{name.replace(' ', '_')}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    command,
                    cwd=tmp_path,  # as in a container: nothing comes from the working directory
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            groups.append(Group(name, process, log))
        yield deployment
    finally:
        stopped = time.monotonic()
        stop_groups([g.process for g in groups])
        deployment.say(f"process groups stopped in {time.monotonic() - stopped:.1f}s")


def process_env(extra: dict[str, str]) -> dict[str, str]:
    """The caller's environment minus its pipeline and Dagster settings, plus the test's.

    Schedules load stopped: the test turns on the poll schedule alone, so no other
    schedule's run lands in the middle of it.
    """
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KORE_", "AVAILABILITY_", "DAGSTER_"))
    }
    return {
        **inherited,
        "AVAILABILITY_SCOPES": str(DEFAULT_SCOPES),
        "AVAILABILITY_TIME_ZONE": ZONE,
        "AVAILABILITY_TARGETS_FILE": str(PROJECT_ROOT / "config" / "targets.example.csv"),
        "AVAILABILITY_FORECAST_FILE": str(PROJECT_ROOT / "config" / "forecast.example.csv"),
        "AVAILABILITY_SCHEDULE_STOPPED": "true",
        **extra,
    }


def test_scheduled_polls_and_a_coverage_partition_on_postgres(deployment: Deployment) -> None:
    d = deployment
    for group in d.groups:
        d.say(
            f"{group.name}: pid {group.process.pid}, process group {os.getpgid(group.process.pid)}"
        )
    wait_for_location(d, LOCATION, STARTUP_S)
    d.say(f"webserver {d.webserver_url} serves {LOCATION} from the code server")

    answer = graphql(
        d.webserver_url,
        """mutation($s: ScheduleSelector!) { startSchedule(scheduleSelector: $s) {
             __typename ... on ScheduleStateResult { scheduleState { status } }
             ... on PythonError { message } } }""",
        {"s": {**repository_selector(), "scheduleName": POLL_SCHEDULE}},
    )["startSchedule"]
    assert answer.get("scheduleState", {}).get("status") == "RUNNING", answer
    d.say(f"{POLL_SCHEDULE} turned on (cron * * * * *, UTC)")

    first = wait_for_runs(d, scheduled_runs_sql(), 1, POLLS_S)
    d.say(f"scheduled poll landed: run {first[0][0][:8]} {first[0][1]}")
    day = tick_day(d)
    coverage_run = launch_coverage(d, day)
    d.say(f"coverage partition {day} queued: run {coverage_run[:8]}")

    polls = wait_for_runs(d, scheduled_runs_sql(), SCHEDULED_POLLS, POLLS_S)
    coverage = wait_for_runs(d, (RUN_BY_ID, (coverage_run,)), 1, COVERAGE_S)
    assert [status for _, status, *_ in polls] == ["SUCCESS"] * SCHEDULED_POLLS, polls
    assert coverage[0][1] == "SUCCESS", f"coverage run {coverage}:\n{d.logs()}"
    d.say(f"{len(polls)} scheduled polls succeeded; coverage run {coverage_run[:8]} succeeded")

    # The run records are PostgreSQL's: every run of the test, with its tags.
    records = d.postgres.query(
        "SELECT r.run_id, r.pipeline_name, r.status, r.partition, "
        "coalesce(s.value, '-'), r.end_time - r.start_time FROM runs r "
        "LEFT JOIN run_tags s ON s.run_id = r.run_id AND s.key = 'dagster/schedule_name' "
        "ORDER BY r.create_timestamp"
    )
    for run_id, job, status, partition, schedule, seconds in records:
        took = f"{seconds:5.1f}s" if seconds is not None else "     -"
        line = f"{run_id[:8]} {job:<18} {status:<8} {took} {partition or '-':<10} {schedule}"
        d.say(f"postgres runs: {line}")
    scheduled = [r for r in records if r[4] == POLL_SCHEDULE and r[2] == "SUCCESS"]
    assert len(scheduled) >= SCHEDULED_POLLS
    assert (coverage_run, COVERAGE_JOB, "SUCCESS", day.isoformat()) in [r[:4] for r in records]
    ((events,),) = d.postgres.query(
        "SELECT count(*) FROM event_logs WHERE run_id = %s", (coverage_run,)
    )
    ((ticks,),) = d.postgres.query(
        "SELECT count(*) FROM job_ticks WHERE selector_id IN "
        "(SELECT selector_id FROM instigators WHERE repository_selector_id IS NOT NULL) "
        "AND status = 'SUCCESS'"
    )
    d.say(f"postgres: {events} events of the coverage run, {ticks} successful schedule ticks")
    assert events > 0 and ticks >= SCHEDULED_POLLS
    limits = dict(d.postgres.query('SELECT concurrency_key, "limit" FROM concurrency_limits'))
    overlaps = overlapping_writer_steps(d.postgres)
    d.say(
        f"postgres: pool limits {limits}; writer steps of different runs overlapping: "
        f"{overlaps or 'none'}"
    )
    assert limits.get(DUCKDB_POOL) == 1 and not overlaps

    # What landed in DuckDB: a tick per scheduled poll, and the day's coverage grid.
    landed = read_db(
        d.database,
        lambda con: rows(
            con, "SELECT tick_id, scopes_ok, scopes_asked FROM ticks WHERE source = 'poll'"
        ),
    )
    d.say(f"duckdb ticks: {landed}")
    assert len(landed) >= SCHEDULED_POLLS and all(ok == asked for _, ok, asked in landed)
    # One tick per schedule slot (a re-run of the slot replaces it, never doubles it).
    assert all(tick_id.startswith("sched-") for tick_id, _, _ in landed), landed
    settings = CoverageSettings(time_zone=ZONE)
    expected = len(load_scopes(DEFAULT_SCOPES)) * interval_count(day, settings)
    ((cells,),) = read_db(
        d.database,
        lambda con: rows(con, "SELECT count(*) FROM coverage_intervals WHERE day = ?", [day]),
    )
    d.say(f"duckdb coverage_intervals for {day}: {cells} rows (scopes x intervals = {expected})")
    assert cells == expected
    daemons = graphql(
        d.webserver_url,
        "{ instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } } }",
    )["instance"]["daemonHealth"]["allDaemonStatuses"]
    healthy = sorted(x["daemonType"] for x in daemons if x["required"] and x["healthy"])
    d.say(f"daemons heartbeating into PostgreSQL, healthy: {', '.join(healthy)}")
    assert {"SCHEDULER", "QUEUED_RUN_COORDINATOR"} <= set(healthy), daemons
    d.check_alive()
    d.say("done; stopping the three process groups and PostgreSQL")


# --- Steps ------------------------------------------------------------------------------------

RUN_BY_ID = "SELECT run_id, status FROM runs WHERE run_id = %s"


def scheduled_runs_sql() -> tuple[str, tuple[Any, ...]]:
    return (
        "SELECT r.run_id, r.status FROM runs r JOIN run_tags t ON t.run_id = r.run_id "
        "WHERE t.key = 'dagster/schedule_name' AND t.value = %s ORDER BY r.create_timestamp",
        (POLL_SCHEDULE,),
    )


def tick_day(d: Deployment) -> date:
    """The local day of the first scheduled poll: today's partition, built from it."""
    ((day,),) = read_db(
        d.database,
        lambda con: rows(con, "SELECT CAST(timezone('UTC', min(started_at)) AS DATE) FROM ticks"),
    )
    return day


def launch_coverage(d: Deployment, day: date) -> str:
    """Submit the coverage job for ``day``'s partition; the queue starts it when its pool
    slot is free (a poll may hold it)."""
    answer = graphql(
        d.webserver_url,
        """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
             __typename ... on LaunchRunSuccess { run { runId } }
             ... on PythonError { message } ... on InvalidSubsetError { message } } }""",
        {
            "p": {
                "selector": {
                    "repositoryLocationName": LOCATION,
                    "repositoryName": REPOSITORY,
                    "jobName": COVERAGE_JOB,
                },
                "executionMetadata": {
                    "tags": [{"key": "dagster/partition", "value": day.isoformat()}]
                },
            }
        },
    )["launchRun"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    return str(answer["run"]["runId"])


def repository_selector() -> dict[str, str]:
    return {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
