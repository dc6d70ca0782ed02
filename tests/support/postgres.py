"""A throwaway PostgreSQL server on 127.0.0.1 for the deployment test (Debian's binaries).

The server lives in a fresh folder, listens on loopback only on a free port, and is built for
speed, not durability (fsync off): initdb, start and the database take about a second. As
root, initdb and pg_ctl run as the `postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.browser_support import free_port

SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
DEBIAN_ROOT = Path("/usr/lib/postgresql")


def find_server_binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: Debian's newest version, else PATH."""
    candidates = sorted(DEBIAN_ROOT.glob("*/bin"), key=lambda p: _version(p.parent.name))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.insert(0, Path(on_path).resolve().parent)
    for folder in reversed(candidates):
        if all((folder / name).exists() for name in SERVER_BINARIES):
            return folder
    return None


def missing_reason() -> str | None:
    """Why the server cannot start here (for a skip), or None when it can."""
    if find_server_binaries() is None:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install Debian's "
            "`postgresql` package (`apt-get install -y postgresql`; .ci/run does)"
        )
    if os.geteuid() == 0 and (shutil.which("runuser") is None or not _user_exists("postgres")):
        return "running as root without `runuser` and a `postgres` user to run PostgreSQL as"
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return "psycopg2 is not installed (it comes with dagster-postgres: `make install`)"
    return None


@dataclass(frozen=True)
class Postgres:
    """Where the server listens and who may log in (the test's own throwaway password)."""

    host: str
    port: int
    user: str
    password: str
    database: str
    log: Path

    def env(self) -> dict[str, str]:
        """The variables deploy/dagster.yaml reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_DB": self.database,
            "DAGSTER_PG_USERNAME": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
        }

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one statement, on a connection of its own."""
        import psycopg2

        con = psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.database,
            connect_timeout=10,
        )
        try:
            with con.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall()) if cur.description else []
        finally:
            con.close()


@contextmanager
def running_postgres(database: str = "dagster", user: str = "dagster") -> Iterator[Postgres]:
    """initdb into a fresh folder, start on 127.0.0.1, create ``database``; always stop and
    delete the folder afterwards, passed or failed."""
    binaries = find_server_binaries()
    if binaries is None:
        raise RuntimeError(missing_reason())
    root = Path(tempfile.mkdtemp(prefix="deploy-pg-"))
    data, log = root / "data", root / "server.log"
    password = secrets.token_urlsafe(16)
    (root / "pwfile").write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(root / "pwfile", "postgres")
    port = free_port()
    started = False
    try:
        _as_server_user(
            str(binaries / "initdb"), "-D", str(data), "-U", user, f"--pwfile={root / 'pwfile'}",
            "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-locale",
            "--no-sync",
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _as_server_user(
            str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip
        started = True
        server = Postgres("127.0.0.1", port, user, password, database, log)
        admin = Postgres("127.0.0.1", port, user, password, "postgres", log)
        _create_database(admin, database)
        yield server
    finally:
        if started:
            _as_server_user(
                str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "30",
                "stop", check=False,
            )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def _create_database(admin: Postgres, database: str) -> None:
    import psycopg2

    con = psycopg2.connect(
        host=admin.host, port=admin.port, user=admin.user, password=admin.password,
        dbname=admin.database, connect_timeout=10,
    )  # fmt: skip
    con.autocommit = True  # CREATE DATABASE refuses to run inside a transaction
    try:
        with con.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{database}"')
    finally:
        con.close()


def _as_server_user(*command: str, check: bool = True) -> None:
    """Run a server binary, as `postgres` when we are root; its output is kept for errors."""
    if os.geteuid() == 0:
        command = ("runuser", "-u", "postgres", "--", *command)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    if check and done.returncode != 0:
        raise RuntimeError(
            f"`{' '.join(command)}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())
