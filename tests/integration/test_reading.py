"""pipelines.reading: short read-only connections that wait out writers and then close."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines import reading
from pipelines.warehouse import connect
from tests.support.locks import HOLD_BACKSTOP_S, release, watch_lock_refusals, writer_holding


@pytest.fixture
def small_db(tmp_db: str) -> str:
    """A migrated warehouse with one tick, written and closed."""
    with connect(tmp_db) as con:
        con.execute(
            "INSERT INTO ticks (tick_id, account_id, source, run_id, started_at, ended_at, "
            "scopes_asked, scopes_ok, scopes_failed, scopes_deferred, written_at) "
            "VALUES ('t-1', 'acct', 'poll', NULL, ?, ?, 2, 2, 0, 0, ?)",
            [datetime(2026, 11, 24, 15, 0, tzinfo=UTC)] * 3,
        )
    return tmp_db


@pytest.fixture
def lock_refusals(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once an open was refused for another process's lock (and so had to wait)."""
    return watch_lock_refusals(monkeypatch)


def test_query_runs_sql_files_and_text_with_params(small_db: str) -> None:
    tables = reading.query("notebooks/tables.sql", database=small_db)
    assert {"ticks", "coverage_intervals", "agent_status_spans"} <= set(tables["table_name"])
    frame = reading.query(
        "SELECT tick_id, started_at FROM ticks WHERE tick_id = $tick",
        {"tick": "t-1", "unused": 1},  # a dict may carry more names than the statement uses
        database=small_db,
    )
    assert list(frame["tick_id"]) == ["t-1"]
    assert frame["started_at"][0] == pd.Timestamp("2026-11-24 15:00", tz="UTC")  # UTC session
    listed = reading.query("SELECT ? + 1 AS n", [41], database=small_db)
    assert listed["n"][0] == 42


def test_a_missing_named_parameter_is_named(small_db: str) -> None:
    with pytest.raises(KeyError, match="time_zone"):
        reading.query("notebooks/tick_days.sql", {}, database=small_db)


def test_read_many_answers_from_one_connection(small_db: str) -> None:
    frames = reading.read_many(
        {
            "ticks": ("SELECT count(*) AS n FROM ticks", None),
            "days": ("notebooks/tick_days.sql", {"time_zone": "America/New_York"}),
        },
        database=small_db,
    )
    assert frames["ticks"]["n"][0] == 1
    assert frames["days"]["ticks"].tolist() == [1]


def test_connection_is_closed_after_success_and_failure(small_db: str) -> None:
    """A read-only handle left open would make this process's next writer fail at once."""
    reading.query("SELECT 1", database=small_db)
    with pytest.raises(duckdb.Error):
        reading.query("SELECT * FROM no_such_table", database=small_db)
    with connect(small_db) as con:  # read-write in the same process: only if all were closed
        con.execute("DELETE FROM ticks")


def test_missing_database_says_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "none.duckdb"
    monkeypatch.setenv("AVAILABILITY_DB", str(missing))
    assert reading.default_database() == missing
    with pytest.raises(reading.DatabaseMissingError) as caught:
        reading.query("SELECT 1")
    message = str(caught.value)
    assert str(missing) in message and "AVAILABILITY_DB" in message
    assert "make demo" in message and "availability seed-history" in message
    assert not missing.exists()


def test_default_database_without_env_is_the_projects(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.settings import DEFAULT_DATABASE

    monkeypatch.delenv("AVAILABILITY_DB", raising=False)
    assert reading.default_database() == DEFAULT_DATABASE


@pytest.mark.subprocess
def test_reader_waits_out_a_short_write(small_db: str, lock_refusals: threading.Event) -> None:
    frames: list[pd.DataFrame] = []
    with writer_holding(small_db) as holder:
        reader = threading.Thread(
            target=lambda: frames.append(
                reading.query("SELECT count(*) AS n FROM ticks", database=small_db, timeout_s=120)
            )
        )
        reader.start()
        # The reader met the lock and is waiting, not failing: only then does the write end.
        assert lock_refusals.wait(timeout=HOLD_BACKSTOP_S)
        assert reader.is_alive() and frames == []
        release(holder)
        reader.join(timeout=HOLD_BACKSTOP_S)
    assert not reader.is_alive()
    assert len(frames) == 1 and frames[0]["n"][0] == 1


@pytest.mark.subprocess
def test_reader_gives_up_with_a_clear_message(small_db: str) -> None:
    # The writer holds the file until the reader has come back: the reader gave up on its
    # own timeout, whatever the machine's speed.
    with writer_holding(small_db), pytest.raises(reading.DatabaseBusyError) as caught:
        reading.query("SELECT 1", database=small_db, timeout_s=1.0)
    message = str(caught.value)
    assert small_db in message and "longer than 1 s" in message and "writer" in message


def test_same_process_writer_gets_an_explanation(small_db: str) -> None:
    """DuckDB refuses read-only beside this process's own read-write handle; say why."""
    with connect(small_db) as _writer, pytest.raises(reading.ReadError, match="read-only"):
        reading.query("SELECT 1", database=small_db)


def test_each_account_reads_its_own_file_and_query_accounts_sets_them_side_by_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts_file = tmp_path / "accounts.toml"
    accounts_file.write_text(
        "".join(
            f'[[account]]\nname = "{name}"\nhost = "https://{name}.example"\n'
            f'bot_id = "st-{name}"\naccount_id = "{name}-id"\nclient_id_env = "ID_{i}"\n'
            f'client_secret_env = "SECRET_{i}"\n'
            + (f'database = "{name}.duckdb"\n' if name != "never" else "")
            for i, name in enumerate(("north", "south", "never"))
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("AVAILABILITY_ACCOUNTS_FILE", str(accounts_file))
    monkeypatch.setenv("AVAILABILITY_DB", str(tmp_path / "main.duckdb"))
    for name, ticks in (("north", 2), ("south", 1)):
        assert reading.default_database(name) == tmp_path / f"{name}.duckdb"
        with connect(tmp_path / f"{name}.duckdb", account=name) as con:
            for n in range(ticks):
                con.execute(
                    "INSERT INTO ticks (tick_id, account_id, source, started_at, ended_at, "
                    "scopes_asked, scopes_ok, scopes_failed, scopes_deferred, written_at) "
                    "VALUES (?, ?, 'poll', now(), now(), 1, 1, 0, 0, now())",
                    [f"t-{n}", f"{name}-id"],
                )
    # "never" was never polled: its file (the derived default) does not exist and adds no rows.
    assert reading.default_database("never") == tmp_path / "main.never.duckdb"
    found = reading.query_accounts(
        "SELECT o.name AS owner, count(*) AS ticks, min(t.account_id) AS kore_account "
        "FROM ticks t, warehouse_account o GROUP BY o.name"
    )
    assert found.to_dict("records") == [
        {"account": "north", "owner": "north", "ticks": 2, "kore_account": "north-id"},
        {"account": "south", "owner": "south", "ticks": 1, "kore_account": "south-id"},
    ]
