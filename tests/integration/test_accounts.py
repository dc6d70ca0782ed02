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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, materialize

from pipelines import accounts
from pipelines.defs.ingest.assets import availability_snapshots
from pipelines.resources import KoreResource, ScopesResource, WarehouseResource
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES
from pipelines.simulator import SimulatorServer
from pipelines.simulator.history import seed_history
from pipelines.warehouse import connect
from pipelines.warehouse.accounts import AccountMismatchError, owner
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
        assert wrong["landed"] == "no" and "HTTP 401" in wrong["error"]
        # The hint names where this account's credentials come from, not the KORE_* ones.
        hint = wrong["error"].replace("\\", "")
        assert f"{variables('wrong')[1]} (client_secret_env of account 'wrong'" in hint
        assert "KORE_CLIENT" not in hint
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
        modes = con.execute("SELECT DISTINCT mode FROM ticks").fetchall()
        answers = con.execute("SELECT count(*) FROM raw_responses").fetchall()[0][0]
        stored = {t for (t,) in con.execute("SELECT error_text FROM raw_responses").fetchall()}
    assert kinds == {"auth"}
    # What is stored names the account's own variable too, as the metadata does.
    assert all(variables("wrong")[1] in text and "KORE_CLIENT" not in text for text in stored)
    # Refused credentials are not a missing API scope: no fall back to one request per scope,
    # so each tick spends one refused availability request, not one per skill and queue.
    assert modes == [("membership",)] and answers == TICKS
    assert not Path(tmp_path / "warehouse.duckdb").exists()  # no account's rows went there

    # No secret, right or wrong, in any event, metadata value, log record or output.
    printed = capsys.readouterr()
    seen = "\n".join([*messages, caplog.text, printed.out, printed.err])
    for secret in secrets:
        assert secret not in seen
    with capsys.disabled():
        for number, landed, rows, seconds in figures:
            print(f"\naccounts tick {number}: {landed} landed, rows {rows}, {seconds:.2f} s")


def poll_once(database: Path, instance: DagsterInstance) -> Any:
    return materialize(
        [availability_snapshots], resources=resources(database), instance=instance,
        raise_on_error=False,
    )  # fmt: skip


def stored_counts(database: str) -> dict[str, int]:
    with connect(database, read_only=True) as con:
        return {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            for table in ("ticks", "raw_responses", "snapshots", "request_log")
        }


def failure_metadata(result: Any) -> dict[str, Any]:
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return failure.event_specific_data.user_failure_data.metadata


def test_an_account_pointed_at_another_accounts_file_is_refused_and_nothing_is_written(
    simulator_factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    servers = accounts_of(
        simulator_factory, alpha=(12, 2, "America/New_York"), beta=(14, 4, "Europe/Paris")
    )
    database = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("AVAILABILITY_DB", str(database))
    use(write_accounts(tmp_path / "accounts.toml", servers), monkeypatch)
    instance = DagsterInstance.ephemeral()
    assert poll_once(database, instance).success
    alpha_file = str(tmp_path / "warehouse.alpha.duckdb")
    before = stored_counts(alpha_file)
    assert before["ticks"] == 1 and before["snapshots"] > 0

    # Alpha leaves the file; beta is pointed at alpha's data by mistake.
    write_accounts(
        tmp_path / "accounts.toml", {"beta": servers["beta"]}, {"beta": {"database": alpha_file}}
    )
    sent = servers["beta"].requests_served.total
    result = poll_once(database, instance)
    assert not result.success
    row = table_row(failure_metadata(result)["accounts"].value, "beta")
    assert row["landed"] == "no" and "AccountMismatchError" in row["error"]
    assert "'alpha'" in row["error"] and "'beta'" in row["error"]
    assert stored_counts(alpha_file) == before
    assert servers["beta"].requests_served.total == sent  # refused before any request
    with connect(alpha_file, read_only=True) as con:
        assert owner(con) == "alpha"

    # The same refusal outside a run, through the resource bound to the account.
    [beta] = accounts.configured()
    bound = WarehouseResource(database=str(database)).for_account(beta)
    with pytest.raises(AccountMismatchError) as caught, bound.connection():
        pass
    assert alpha_file in str(caught.value) and "'alpha'" in str(caught.value)
    assert "'beta'" in str(caught.value) and stored_counts(alpha_file) == before


@pytest.mark.slow
def test_a_single_account_database_becomes_the_named_accounts_and_stays_its_with_a_file(
    simulator_factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    servers = accounts_of(
        simulator_factory, acme=(12, 2, "America/New_York"), beta=(14, 4, "Europe/Paris")
    )
    database = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("AVAILABILITY_DB", str(database))
    for name, value in servers["acme"].env(include_secret=True).items():
        monkeypatch.setenv(name, value)
    # Ten minutes of history from before accounts: written by no account, so no owner yet.
    with connect(database) as con:
        start = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
        seed_history(
            con, start=start, end=start + timedelta(minutes=10), agents=12, seed=2,
            scopes=load_scopes(DEFAULT_SCOPES),
        )  # fmt: skip
        assert owner(con) is None
    earlier = stored_counts(str(database))
    assert earlier["ticks"] == 10 and earlier["snapshots"] > 0
    instance = DagsterInstance.ephemeral()

    monkeypatch.setenv("AVAILABILITY_ACCOUNT_NAME", "acme")
    assert poll_once(database, instance).success
    with connect(database, read_only=True) as con:
        assert owner(con) == "acme"
    after = stored_counts(str(database))
    assert after["ticks"] == earlier["ticks"] + 1 and after["snapshots"] > earlier["snapshots"]

    # Another name for the single account is refused, naming both and the setting.
    monkeypatch.setenv("AVAILABILITY_ACCOUNT_NAME", "default")
    refused = poll_once(database, instance)
    assert not refused.success
    [failure] = [e for e in refused.all_events if e.event_type_value == "STEP_FAILURE"]
    message = str(failure.event_specific_data.error)
    assert "'acme'" in message and "'default'" in message
    assert "AVAILABILITY_ACCOUNT_NAME" in message
    assert stored_counts(str(database)) == after

    # An accounts file whose account of that name keeps AVAILABILITY_DB: acme's ticks go on
    # landing in the same file, and beta gets a file of its own beside it.
    monkeypatch.setenv("AVAILABILITY_ACCOUNT_NAME", "acme")
    use(write_accounts(tmp_path / "accounts.toml", servers), monkeypatch)
    result = poll_once(database, instance)
    assert result.success
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["accounts_landed"].value == 2
    assert stored_counts(str(database))["ticks"] == after["ticks"] + 1
    beta_file = tmp_path / "warehouse.beta.duckdb"
    with connect(beta_file, read_only=True) as con:
        assert owner(con) == "beta"
    assert stored_counts(str(beta_file))["ticks"] == 1
