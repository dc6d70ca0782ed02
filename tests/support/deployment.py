"""The deployment test's processes and questions: process groups, GraphQL, bounded waits.

Kept out of tests/e2e/test_deployment.py so that the test reads as the steps of a deployment.
Every wait here is a bounded loop on observable state: the webserver answering, run rows in
PostgreSQL (never DuckDB, whose file a run may be writing).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.browser_support import tail
from tests.support.postgres import Postgres

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


def wait_for_location(d: Deployment, location: str, timeout: float) -> None:
    """Until the webserver answers and shows the code location loaded from the code server."""
    query = """{ workspaceOrError { __typename ... on Workspace { locationEntries {
        name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        d.check_alive()
        try:
            entries = graphql(d.webserver_url, query)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = exc
        else:
            last = entries
            loaded = [e for e in entries if e["name"] == location]
            if loaded and loaded[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation":
                return
            if loaded and loaded[0]["loadStatus"] == "LOADED":
                # Loaded with an error: the code server answered but could not load the code;
                # reload, since it may simply not have been up when the webserver first asked.
                graphql(
                    d.webserver_url,
                    "mutation($n: String!) { reloadRepositoryLocation(repositoryLocationName: $n)"
                    " { __typename } }",
                    {"n": location},
                )
        time.sleep(1.0)
    raise TimeoutError(f"{location} did not load in {timeout:.0f}s ({last}):\n{d.logs()}")


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
