"""Helpers for the browser test: Chromium discovery, `dagster dev` as a process, DuckDB reads.

Kept out of the test module so the test reads as the steps a person takes in the UI, and so
nothing here imports Playwright: the test module must still be collected (and skip with a
reason) on machines without it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from pipelines.settings import PROJECT_ROOT
from pipelines.warehouse import connect

T = TypeVar("T")

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")

# Headless Chromium that talks to nothing but the servers the test started: no background
# services (updates, sync, safe browsing, QUIC probes), and every host name except 127.0.0.1
# fails to resolve, so an accidental external fetch fails loudly instead of leaving the machine.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",  # CI runs as root, where Chromium refuses its sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)
LOCAL_URL_PREFIXES: tuple[str, ...] = ("http://127.0.0.1:", "file://", "data:", "blob:", "about:")


def find_chromium() -> Path | None:
    """Debian's chromium (the package CI installs), or any `chromium` on PATH."""
    if DEBIAN_CHROMIUM.exists():
        return DEBIAN_CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


def is_local_url(url: str) -> bool:
    return url.startswith(LOCAL_URL_PREFIXES)


def free_port() -> int:
    """A port that was free a moment ago on loopback (the race with other binders is tiny)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass(frozen=True)
class DagsterDev:
    """A running `dagster dev`: where its UI is and where its output goes."""

    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log, lines)


@contextmanager
def dagster_dev(
    env: dict[str, str], log: Path, startup_timeout: float = 150.0
) -> Iterator[DagsterDev]:
    """`dagster dev -w workspace.yaml` on a free loopback port, as a user would start it.

    It runs in a session of its own so that teardown can stop the whole tree (webserver,
    daemon, code server, run workers) with one signal to the process group, and always does,
    whether the test passed or not. Its output goes to ``log`` rather than a pipe, which would
    fill and block the server if nobody read it.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml",
        "-h", "127.0.0.1", "-p", str(port),
    ]  # fmt: skip
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = DagsterDev(url=f"http://127.0.0.1:{port}", log=log, process=process)
    try:
        wait_until_serving(server, startup_timeout)
        yield server
    finally:
        stop_process_group(process)


def wait_until_serving(server: DagsterDev, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"dagster dev exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{server.url}/server_info", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"dagster dev did not serve within {timeout:.0f}s:\n{server.log_tail()}")


def stop_process_group(process: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """SIGTERM the group, give it ``grace`` seconds, then SIGKILL whatever is left of it."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # stragglers such as a run worker
    process.wait(timeout=10)


def graphql(url: str, query: str, timeout: float = 10.0) -> dict[str, Any]:
    """One GraphQL call to the webserver (loopback only), for setup the UI has no button for."""
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return dict(json.loads(answer.read()))


def read_db(
    database: str | Path,
    read: Callable[[duckdb.DuckDBPyConnection], T],
    timeout: float = 30.0,
) -> T:
    """Run ``read`` on a short-lived read-only connection, retrying while a writer holds the file.

    DuckDB locks the file per process: a run worker that has not yet exited may still hold
    it for a moment after the UI already shows the run as succeeded.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            with connect(database, read_only=True) as con:
                return read(con)
        except duckdb.IOException:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


@dataclass
class Timings:
    """Wall time per step, written next to the screenshots so a slow step is easy to spot."""

    started: float
    steps: list[tuple[str, float]]

    @classmethod
    def start(cls) -> Timings:
        return cls(started=time.monotonic(), steps=[])

    def mark(self, step: str) -> None:
        self.steps.append((step, time.monotonic() - self.started))

    def lines(self) -> list[str]:
        out, previous = [], 0.0
        for step, at in self.steps:
            out.append(f"{at:7.1f}s  (+{at - previous:5.1f}s)  {step}")
            previous = at
        return out
