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

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipelines.coverage import CoverageSettings, interval_count
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES, PROJECT_ROOT
from pipelines.simulator import SimulatorServer
from tests.support.browser_support import free_port, read_db, rows, tail
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
DUCKDB_POOL = "duckdb_writer"
ZONE = "UTC"
SCHEDULED_POLLS = 2
# Bounds, not sleeps: two cron minutes plus the runs on a busy 2-core machine.
STARTUP_S = 90.0
POLLS_S = 170.0
COVERAGE_S = 120.0
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


@dataclass
class Group:
    """One deployment process, started in a session (process group) of its own."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode}:\n{tail(self.log, 60)}"
            )


@dataclass
class Deployment:
    webserver_url: str
    groups: list[Group]
    postgres: Postgres
    database: str
    began: float

    def say(self, message: str) -> None:
        print(f"[deploy +{time.monotonic() - self.began:5.1f}s] {message}", flush=True)

    def check_alive(self) -> None:
        for group in self.groups:
            group.check_alive()

    def logs(self) -> str:
        return "\n".join(f"--- {g.name} (tail) ---\n{tail(g.log, 30)}" for g in self.groups)


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


def stop_groups(processes: list[subprocess.Popen[bytes]], grace: float = 20.0) -> None:
    """SIGTERM every group at once, wait up to ``grace`` for the leaders, then SIGKILL what is
    left of each group (the daemon's `dagster api grpc` child, a run worker)."""
    for process in processes:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    for process in processes:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


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
    wait_for_location(d)
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


def overlapping_writer_steps(postgres: Postgres) -> list[tuple[str, str]]:
    """Pairs of steps of different runs whose start-to-end spans overlap, among the steps in
    the `duckdb_writer` pool (every step of these jobs but the report, a reader)."""
    spans = postgres.query(
        "SELECT run_id, step_key, min(timestamp) FILTER (WHERE dagster_event_type = "
        "'STEP_START'), max(timestamp) FILTER (WHERE dagster_event_type IN "
        "('STEP_SUCCESS', 'STEP_FAILURE')) FROM event_logs WHERE step_key IS NOT NULL "
        "AND step_key <> 'coverage_report' GROUP BY run_id, step_key"
    )
    return [
        (f"{a[0][:8]}:{a[1]}", f"{b[0][:8]}:{b[1]}")
        for i, a in enumerate(spans)
        for b in spans[i + 1 :]
        if a[0] != b[0] and a[2] and b[2] and a[3] and b[3] and a[2] < b[3] and b[2] < a[3]
    ]


def wait_for_location(d: Deployment) -> None:
    """Until the webserver answers and shows the code location loaded from the code server."""
    query = """{ workspaceOrError { __typename ... on Workspace { locationEntries {
        name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
    deadline = time.monotonic() + STARTUP_S
    last: Any = None
    while time.monotonic() < deadline:
        d.check_alive()
        try:
            entries = graphql(d.webserver_url, query)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = exc
        else:
            last = entries
            loaded = [e for e in entries if e["name"] == LOCATION]
            if loaded and loaded[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation":
                return
            if loaded and loaded[0]["loadStatus"] == "LOADED":
                # Loaded with an error: the code server answered but could not load the code;
                # reload, since it may simply not have been up when the webserver first asked.
                graphql(
                    d.webserver_url,
                    "mutation($n: String!) { reloadRepositoryLocation(repositoryLocationName: $n)"
                    " { __typename } }",
                    {"n": LOCATION},
                )
        time.sleep(1.0)
    raise TimeoutError(f"the location did not load in {STARTUP_S:.0f}s ({last}):\n{d.logs()}")


def wait_for_runs(
    d: Deployment, sql: tuple[str, tuple[Any, ...]], count: int, timeout: float
) -> list[tuple[Any, ...]]:
    """Until ``count`` of the selected runs have finished (any outcome); PostgreSQL is polled,
    not DuckDB, so the test never holds the file a run is writing."""
    deadline = time.monotonic() + timeout
    while True:
        found = d.postgres.query(*sql)
        finished = [r for r in found if r[1] in FINISHED]
        if len(finished) >= count:
            return finished[:count]
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{len(finished)} of {count} runs finished: {found}\n{d.logs()}")
        d.check_alive()
        time.sleep(1.0)


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


def graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """One GraphQL call to the webserver (loopback only); raises on GraphQL errors."""
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        body = json.loads(answer.read())
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return dict(body["data"])
