"""Retention of raw bodies in a real DuckDB file: exactly the rows past their age (and built)
leave, into a Parquet file that holds exactly them; reruns are no-ops; a crash on either side
of the DELETE's commit is finished by the next run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path

import duckdb
import pytest

from pipelines.coverage.calendar import day_bounds
from pipelines.retention import RawRetention, archive_file, due, retire
from pipelines.warehouse import connect

ZONE = "America/New_York"
TODAY = date(2026, 11, 30)
NOW = day_bounds(TODAY, ZONE)[0] + timedelta(hours=2)  # 02:00 local on the 30th
KEEP = 14  # the 16th is the oldest day kept; the 15th and earlier go
CUTOFF_START = day_bounds(date(2026, 11, 16), ZONE)[0]


class Crash(Exception):
    """Stands for the process dying at a hook."""


def _raw(con: duckdb.DuckDBPyConnection, tick: str, at: datetime, body: str) -> None:
    con.execute(
        "INSERT INTO raw_responses VALUES (?, 'all', 'acc', ?, ?, ?, 1, 200, 3.5, 'ok', NULL, "
        "NULL, ?)",
        [tick, at, at, at, body],
    )


def _coverage(con: duckdb.DuckDBPyConnection, day: date) -> None:
    start, _ = day_bounds(day, ZONE)
    con.execute(
        "INSERT INTO coverage_intervals (day, scope_key, interval_start, interval_end, "
        "local_start, observed_seconds, observed_share, observations) "
        "VALUES (?, 'all', ?, ?, ?, 900, 1, 15)",
        [day, start, start + timedelta(minutes=15), datetime.combine(day, datetime.min.time())],
    )


def _history_page(con: duckdb.DuckDBPyConnection, fetch: str, day: date, done: bool) -> None:
    start, end = day_bounds(day, ZONE)
    con.execute(
        "INSERT INTO status_history_fetches VALUES (?, 'acc', ?, ?, ?, ?, 300, 'range', ?, ?, ?, "
        "?, true, 50, 1, 50, 1, 1, 0, ?, ?, ?)",
        [fetch, day, ZONE, day, day, start, end, start, end, end, end, end if done else None],
    )
    con.execute(
        "INSERT INTO status_history_pages VALUES (?, 'acc', ?, 'run', 0, 50, 300, ?, ?, 1, 200, "
        "'ok', NULL, NULL, false, 1, 1, '{}', ?)",
        [fetch, day, end + timedelta(hours=1), end + timedelta(hours=1), f"page {fetch}"],
    )


def _volume_page(con: duckdb.DuckDBPyConnection, sync: str, at: datetime, done: bool) -> None:
    con.execute(
        "INSERT INTO contact_volume_syncs VALUES (?, 'acc', false, ?, ?, 100, true, 1, 100, 1, "
        "1, 0, ?, ?, ?)",
        [sync, at - timedelta(hours=2), at, at, at, at if done else None],
    )
    con.execute(
        "INSERT INTO contact_volume_pages VALUES (?, 'acc', 'run', 0, 100, ?, ?, 1, 200, 9.0, "
        "'ok', NULL, NULL, false, 1, 1, 1, ?)",
        [sync, at, at, f"volume {sync}"],
    )


@pytest.fixture
def warehouse(tmp_db: str) -> Iterator[str]:
    """Polls from the 10th to the 20th, two a day at 00:00:00 and 23:59:59.999999 local (the
    day's edges), coverage built for every day but the 12th; a history page and a volume page
    on old days, done and not done, and on a kept day."""
    with connect(tmp_db) as con:
        for n in range(10, 21):
            day = date(2026, 11, n)
            start, end = day_bounds(day, ZONE)
            _raw(con, f"{day}-first", start, f'{{"day": "{day}", "edge": "first"}}')
            _raw(con, f"{day}-last", end - timedelta(microseconds=1), f'{{"day": "{day}"}}')
            if n != 12:
                _coverage(con, day)
        _history_page(con, "h-done", date(2026, 11, 11), done=True)
        _history_page(con, "h-open", date(2026, 11, 13), done=False)
        _history_page(con, "h-kept", date(2026, 11, 16), done=True)
        _volume_page(con, "v-done", CUTOFF_START - timedelta(days=3), done=True)
        _volume_page(con, "v-open", CUTOFF_START - timedelta(days=3), done=False)
        _volume_page(con, "v-kept", CUTOFF_START, done=True)
    yield tmp_db


def _policy(tmp_path: Path, mode: str = "archive") -> RawRetention:
    folder = tmp_path / "archive" if mode == "archive" else None
    return RawRetention(days=KEEP, time_zone=ZONE, mode=mode, archive_dir=folder)


def _rows(database: str, sql: str) -> list[tuple]:
    with connect(database, read_only=True) as con:
        return sorted(con.execute(sql).fetchall())


def _parquet(path: Path) -> list[tuple]:
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        return sorted(
            con.execute(
                "SELECT * FROM read_parquet(?, hive_partitioning = false)", [str(path)]
            ).fetchall()
        )
    finally:
        con.close()


GONE_TICKS = [f"2026-11-{n}-{edge}" for n in (10, 11, 13, 14, 15) for edge in ("first", "last")]


def test_exactly_the_rows_past_their_age_whose_derived_rows_are_built_leave(
    warehouse: str, tmp_path: Path
) -> None:
    everything = _rows(warehouse, "SELECT * FROM raw_responses")
    outcome = retire(partial(connect, warehouse), _policy(tmp_path), now=NOW)

    assert outcome.cutoff == date(2026, 11, 16)
    kept = {row[0] for row in _rows(warehouse, "SELECT tick_id FROM raw_responses")}
    # The 12th has no coverage yet: held back; the 16th (the boundary) and later stay.
    assert kept == {f"2026-11-{n}-{e}" for n in (12, *range(16, 21)) for e in ("first", "last")}
    assert outcome.rows_removed == {
        "raw_responses": 10,
        "status_history_pages": 1,
        "contact_volume_pages": 1,
    }
    assert _rows(warehouse, "SELECT fetch_id FROM status_history_pages") == [
        ("h-kept",),
        ("h-open",),
    ]
    assert _rows(warehouse, "SELECT sync_id FROM contact_volume_pages") == [
        ("v-kept",),
        ("v-open",),
    ]

    # Each file holds exactly the rows it took, every column as stored.
    archived = []
    for n in (10, 11, 13, 14, 15):
        path = archive_file(tmp_path / "archive", "raw_responses", date(2026, 11, n))
        archived += _parquet(path)
    assert archived == [row for row in everything if row[0] in GONE_TICKS]
    [page] = _parquet(
        archive_file(tmp_path / "archive", "status_history_pages", date(2026, 11, 11))
    )
    assert page[0] == "h-done" and page[-1] == "page h-done"
    assert not list((tmp_path / "archive").rglob("*.tmp"))

    # What is left past its age is only what is held back, and the log has one row per file.
    with connect(warehouse) as con:
        left = due(con, _policy(tmp_path), NOW)
        logged = con.execute("SELECT table_name, day, rows_removed FROM retention_runs").fetchall()
    assert sorted(left) == [
        ("contact_volume_pages", date(2026, 11, 13), 0, 1),  # its sync still open
        ("raw_responses", date(2026, 11, 12), 0, 2),  # no coverage of the 12th
        ("status_history_pages", date(2026, 11, 13), 0, 1),  # its fetch still paging
    ]
    assert len(logged) == 7 and sum(r[2] for r in logged) == 12


def test_a_rerun_is_a_no_op(warehouse: str, tmp_path: Path) -> None:
    policy = _policy(tmp_path)
    retire(partial(connect, warehouse), policy, now=NOW)
    files = {p: p.stat().st_mtime_ns for p in (tmp_path / "archive").rglob("*.parquet")}
    before = _rows(warehouse, "SELECT * FROM raw_responses")

    again = retire(partial(connect, warehouse), policy, now=NOW)

    assert again.days == [] and sum(again.rows_removed.values()) == 0
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "archive").rglob("*.parquet")} == files
    assert _rows(warehouse, "SELECT * FROM raw_responses") == before
    assert _rows(warehouse, "SELECT count(*) FROM retention_runs") == [(7,)]


def test_a_crash_between_the_parquet_file_and_the_delete_keeps_both_and_the_rerun_finishes(
    warehouse: str, tmp_path: Path
) -> None:
    policy = _policy(tmp_path)
    everything = _rows(warehouse, "SELECT * FROM raw_responses")

    def crash(stage: str, table: str, day: date) -> None:
        if stage == "archived":
            raise Crash

    with pytest.raises(Crash):
        retire(partial(connect, warehouse), policy, now=NOW, hook=crash)

    # The file of the first day is complete under its temporary name; every row is still here.
    [tmp] = (tmp_path / "archive").rglob("*.tmp")
    assert len(_parquet(tmp)) == 2
    assert _rows(warehouse, "SELECT * FROM raw_responses") == everything
    assert not list((tmp_path / "archive").rglob("*.parquet"))

    finished = retire(partial(connect, warehouse), policy, now=NOW)

    assert finished.pending_discarded == 1 and finished.rows_removed["raw_responses"] == 10
    assert not list((tmp_path / "archive").rglob("*.tmp"))
    first = archive_file(tmp_path / "archive", "raw_responses", date(2026, 11, 10))
    assert [row[0] for row in _parquet(first)] == ["2026-11-10-first", "2026-11-10-last"]


def test_a_crash_after_the_delete_commits_is_finished_by_the_rename(
    warehouse: str, tmp_path: Path
) -> None:
    policy = _policy(tmp_path)

    def crash(stage: str, table: str, day: date) -> None:
        if stage == "committed":
            raise Crash

    with pytest.raises(Crash):
        retire(partial(connect, warehouse), policy, now=NOW, hook=crash)
    # The rows left DuckDB with the commit; they are in the recorded temporary file.
    first = archive_file(tmp_path / "archive", "raw_responses", date(2026, 11, 10))
    assert _rows(
        warehouse, "SELECT count(*) FROM raw_responses WHERE tick_id LIKE '2026-11-10%'"
    ) == [(0,)]
    assert not first.exists()

    finished = retire(partial(connect, warehouse), policy, now=NOW)

    assert finished.pending_finished == 1
    assert [row[0] for row in _parquet(first)] == ["2026-11-10-first", "2026-11-10-last"]
    assert sum(finished.rows_removed.values()) == 10  # the other days, the 10th was done


def test_rows_landing_later_for_an_archived_day_join_its_file(
    warehouse: str, tmp_path: Path
) -> None:
    policy = _policy(tmp_path)
    retire(partial(connect, warehouse), policy, now=NOW)
    with connect(warehouse) as con:
        _raw(
            con,
            "2026-11-10-late",
            day_bounds(date(2026, 11, 10), ZONE)[0] + timedelta(hours=5),
            "{}",
        )

    again = retire(partial(connect, warehouse), policy, now=NOW)

    assert again.rows_removed["raw_responses"] == 1
    path = archive_file(tmp_path / "archive", "raw_responses", date(2026, 11, 10))
    assert [r[0] for r in _parquet(path)] == [
        "2026-11-10-first",
        "2026-11-10-last",
        "2026-11-10-late",
    ]
    assert again.days[0]["file_rows"] == 3


def test_drop_mode_deletes_the_same_rows_and_writes_no_file(warehouse: str, tmp_path: Path) -> None:
    outcome = retire(partial(connect, warehouse), _policy(tmp_path, "drop"), now=NOW)

    assert outcome.rows_removed["raw_responses"] == 10 and outcome.files_written == []
    assert not (tmp_path / "archive").exists()
    assert _rows(warehouse, "SELECT DISTINCT mode, file FROM retention_runs") == [("drop", None)]
