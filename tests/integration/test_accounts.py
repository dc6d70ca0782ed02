"""Several Kore.ai accounts polled in one Dagster run per tick, each into its own DuckDB file.

Every account is a simulator of its own (its own roster and seed) on 127.0.0.1; the accounts
file names them, and the run is materialized in process with AVAILABILITY_ACCOUNTS_FILE set
(read at run time). One account has wrong credentials, one answers far slower than the tick
deadline: neither may stop, delay past the deadline or leak into the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, materialize

from pipelines.defs.ingest.assets import availability_snapshots
from pipelines.resources import KoreResource, ScopesResource, WarehouseResource
from pipelines.settings import DEFAULT_SCOPES
from pipelines.simulator import SimulatorServer
from pipelines.warehouse import connect
from pipelines.warehouse.accounts import owner
from tests.support.accounts import variables, write_accounts

Factory = Callable[..., SimulatorServer]

DEADLINE_S = 5.0  # the tick deadline on KoreResource
LATENCY_S = 60.0  # the slow account's answer time: far past the deadline on any machine
TICKS = 3
WRONG_SECRET = "not-the-secret-the-simulator-expects-0123456789-abcdefghijkl"

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def accounts_of(factory: Factory, **rosters: tuple[int, int, str]) -> dict[str, SimulatorServer]:
    """One simulator per account: (agents, seed, zone), its own Kore account ID, no rate limit."""
    return {
        name: factory(
            agents=agents,
            seed=seed,
            time_zone=zone,
            account_id=f"acc-{name}",
            rate_limit_per_minute=None,
        )
        for name, (agents, seed, zone) in rosters.items()
    }


def resources(database: Path) -> dict[str, Any]:
    """What a deployment gives the poll: one set of resources, bound per account by the run."""
    return {
        "kore": KoreResource(
            tick_deadline_seconds=DEADLINE_S,
            read_timeout_seconds=DEADLINE_S * 4,
            max_attempts=2,
            backoff_base_seconds=0.05,
            backoff_cap_seconds=0.2,
        ),
        "scopes": ScopesResource(path=str(DEFAULT_SCOPES)),
        "warehouse": WarehouseResource(database=str(database)),
    }


def use(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def tick_rows(database: str) -> dict[str, tuple[int, int, int]]:
    """tick_id -> (snapshot rows, scopes ok, scopes failed) as stored in one account's file."""
    with connect(database, read_only=True) as con:
        rows = con.execute(
            "SELECT t.tick_id, (SELECT count(*) FROM snapshots s WHERE s.tick_id = t.tick_id), "
            "t.scopes_ok, t.scopes_failed FROM ticks t"
        ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def table_row(markdown: str, account: str) -> dict[str, str]:
    """One account's row of the metadata's accounts table (Markdown, escaped underscores)."""
    lines = [line.strip().strip("|").split("|") for line in markdown.splitlines()]
    header = [cell.strip().replace("\\_", "_") for cell in lines[0]]
    for cells in lines[2:]:
        row = dict(zip(header, (cell.strip().replace("\\_", "_") for cell in cells), strict=True))
        if row["account"] == account:
            return row
    raise AssertionError(f"no row for {account} in\n{markdown}")


@pytest.mark.slow
def test_every_account_polls_in_one_run_and_a_failing_one_stops_no_other(
    simulator_factory: Factory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    servers = accounts_of(
        simulator_factory,
        north=(24, 3, "America/New_York"),
        south=(36, 17, "Australia/Sydney"),
        wrong=(20, 5, "Europe/London"),
        slow=(20, 9, "Asia/Tokyo"),
    )
    servers["slow"].set_faults({"latency_ms": LATENCY_S * 1000})
    env = write_accounts(tmp_path / "accounts.toml", servers)
    env[variables("wrong")[1]] = WRONG_SECRET
    use(env, monkeypatch)
    monkeypatch.setenv("AVAILABILITY_DB", str(tmp_path / "warehouse.duckdb"))
    files = {name: str(tmp_path / f"warehouse.{name}.duckdb") for name in servers}
    secrets = [env[variables(name)[1]] for name in servers]
    instance = DagsterInstance.ephemeral()
    caplog.set_level(logging.DEBUG)

    figures, messages = [], []
    for number in range(1, TICKS + 1):
        began = time.monotonic()
        result = materialize(
            [availability_snapshots], resources=resources(tmp_path / "warehouse.duckdb"),
            instance=instance,
        )  # fmt: skip
        seconds = time.monotonic() - began
        assert result.success
        tick_id = f"run-{result.run_id}"
        [event] = result.get_asset_materialization_events()
        metadata = event.materialization.metadata
        table = metadata["accounts"].value
        messages += [str(e) for e in result.all_events] + [repr(metadata)]
        assert metadata["accounts_landed"].value == 2
        assert sorted(metadata["accounts_failed"].value) == ["slow", "wrong"]

        rows = {}
        for name in ("north", "south"):
            stored = tick_rows(files[name])
            assert len(stored) == number  # one tick per run, under the run's tick id
            rows[name], ok, failed = stored[tick_id]
            assert rows[name] > 0 and ok > 0 and failed == 0
            assert metadata[f"{name}/rows_written"].value == rows[name]
            assert table_row(table, name)["landed"] == "yes"
        # Each file holds its own roster: the agents counted are the account's simulator's.
        assert rows["north"] != rows["south"]

        wrong = table_row(table, "wrong")
        assert wrong["landed"] == "no" and ("401" in wrong["error"] or "auth" in wrong["error"])
        slow = table_row(table, "slow")
        assert slow["landed"] == "no" and "deadline" in slow["error"].lower()
        # The slow account cost the run its deadline, never its latency.
        assert seconds < LATENCY_S
        figures.append((number, metadata["accounts_landed"].value, rows, seconds))

    for name in ("north", "south", "wrong", "slow"):
        with connect(files[name], read_only=True) as con:
            assert owner(con) == name
    with connect(files["slow"], read_only=True) as con:
        kinds = con.execute("SELECT DISTINCT error_kind FROM raw_responses").fetchall()
        ticks = con.execute("SELECT count(*), sum(scopes_ok) FROM ticks").fetchall()[0]
        longest = con.execute(
            "SELECT max(epoch(ended_at) - epoch(started_at)) FROM ticks"
        ).fetchall()[0][0]
    assert kinds == [("deadline",)] and ticks == (TICKS, 0)
    # One deadline per tick, not one per request of it (pages, drift check).
    assert longest < 1.6 * DEADLINE_S
    with connect(files["wrong"], read_only=True) as con:
        kinds = {k for (k,) in con.execute("SELECT error_kind FROM raw_responses").fetchall()}
    assert kinds and kinds <= {"auth", "forbidden"}
    assert not Path(tmp_path / "warehouse.duckdb").exists()  # no account's rows went there

    # No secret, right or wrong, in any event, metadata value, log record or output.
    printed = capsys.readouterr()
    seen = "\n".join([*messages, caplog.text, printed.out, printed.err])
    for secret in secrets:
        assert secret not in seen
    with capsys.disabled():
        for number, landed, rows, seconds in figures:
            print(f"\naccounts tick {number}: {landed} landed, rows {rows}, {seconds:.2f} s")
