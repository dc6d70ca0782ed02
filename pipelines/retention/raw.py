"""Retire raw landing rows past their age: archive each table's day to Parquet, or drop it.

One table and one local day at a time, each in its own connection and transaction:

1. archive mode: the day's rows that may go (``sql/retention/macros.sql`` says which) are
   copied to ``<final>.<attempt>.tmp`` with DuckDB's ``COPY … (FORMAT parquet, COMPRESSION
   zstd)``; when the day was archived before, the old file and the new rows are merged into
   that name instead. The file is read back (a file cut short cannot be read), its rows
   counted against what was copied, and synced to disk;
2. the same rows are deleted (the same macro, in the same transaction, so the same rows) and
   the deletion is recorded in ``retention_runs`` under the attempt's ID, then committed;
3. the temporary file is renamed over the final name and the folder synced.

A crash before the commit leaves the rows in DuckDB and an unrecorded ``.tmp`` file: the next
run deletes the file and does the day again. A crash after it leaves the rows only in a
recorded ``.tmp`` file: the next run renames it into place first. Readers of
``<archive>/<table>/**/*.parquet`` never see a half-written file (DuckDB writes Parquet in
place, so only the rename makes it visible). A rerun finds nothing due: it is a no-op.

Holding a connection per day and table keeps DuckDB's single-writer lock short (seconds for a
day of availability answers), so the every-minute poll waits for one day, never for the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.coverage.calendar import day_bounds, local_date
from pipelines.warehouse import execute, fetch_all, transaction

__all__ = [
    "RAW_TABLES",
    "Hook",
    "RawRetention",
    "RetentionOutcome",
    "archive_file",
    "due",
    "finish_pending",
    "retire",
]

# The tables that keep raw bodies, in the order they are retired. Membership pages keep no
# body (parsed rows only, dropped when their refresh completes), request_log is pruned by the
# tick write; neither is here.
RAW_TABLES = ("raw_responses", "status_history_pages", "contact_volume_pages")
MODES = ("archive", "drop")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TMP = ".tmp"

# Called as hook(stage, table, day) at "archived" (file complete, DELETE not yet run) and
# "committed" (DELETE committed, file not yet renamed): tests raise from it to stand for a crash.
Hook = Callable[[str, str, date], None]


@dataclass(frozen=True)
class RawRetention:
    """How long raw rows stay and where they go: ``days`` whole local days before today are
    kept (a row of day D goes once D < today - days), in ``time_zone``; ``mode`` is
    ``archive`` (Parquet files under ``archive_dir``) or ``drop``. In drop mode the folder, if
    given, is still checked for files an earlier archive run left mid-way."""

    days: int
    time_zone: str
    mode: str = "archive"
    archive_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"retention mode must be one of {list(MODES)}, got {self.mode!r}")
        if self.mode == "archive" and self.archive_dir is None:
            raise ValueError("archive mode needs an archive folder")
        if self.days < 1:
            raise ValueError(f"retention days must be at least 1, got {self.days}")

    def cutoff(self, now: datetime) -> date:
        """The oldest local day kept at ``now``: rows of earlier days are past their age."""
        return local_date(now, self.time_zone) - timedelta(days=self.days)


@dataclass
class RetentionOutcome:
    """What one retention pass did, for the run's metadata."""

    cutoff: date
    rows_removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RAW_TABLES, 0))
    days: list[dict[str, object]] = field(default_factory=list)
    files_written: list[str] = field(default_factory=list)
    pending_finished: int = 0
    pending_discarded: int = 0


def archive_file(root: Path, table: str, day: date) -> Path:
    """The one Parquet file of a table's local day,
    ``<root>/<table>/local_day=<day>/<table>.parquet``: hive style, so
    ``read_parquet('<root>/<table>/*/*.parquet', hive_partitioning = true)`` reads every day
    with a ``local_day`` column (not ``day``: status_history_pages has a column of that name)."""
    return root / table / f"local_day={day.isoformat()}" / f"{table}.parquet"


def due(con: duckdb.DuckDBPyConnection, policy: RawRetention, now: datetime) -> list[tuple]:
    """(table, day, rows_due, rows_held) of every local day past its age that still has rows."""
    execute(con, "retention/macros.sql")
    start, _ = day_bounds(policy.cutoff(now), policy.time_zone)
    return fetch_all(
        con, "retention/due.sql", time_zone=policy.time_zone, since=_EPOCH, cutoff_start=start
    )


def _sync(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk: the rows are deleted right after."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pending(root: Path) -> list[tuple[Path, Path, str]]:
    """Temporary files left by earlier runs: (temporary, final, attempt ID)."""
    found = []
    for tmp in root.glob(f"*/local_day=*/*.parquet.*{_TMP}"):
        final_name, attempt, _ = tmp.name.rsplit(".", 2)
        found.append((tmp, tmp.with_name(final_name), attempt))
    return found


def finish_pending(con: duckdb.DuckDBPyConnection, root: Path) -> tuple[int, int]:
    """Rename the temporary files whose DELETE committed, discard the others (their rows are
    still in DuckDB); returns (finished, discarded)."""
    pending = _pending(root) if root.exists() else []
    if not pending:
        return 0, 0
    ids = [attempt for _, _, attempt in pending]
    committed = {row[0] for row in fetch_all(con, "retention/committed.sql", attempt_ids=ids)}
    finished = 0
    for tmp, final, attempt in pending:
        if attempt in committed:
            os.replace(tmp, final)
            _sync(final.parent)
            finished += 1
        else:
            tmp.unlink()
    return finished, len(pending) - finished


def _archive(
    con: duckdb.DuckDBPyConnection, table: str, bounds: dict, final: Path, attempt: str
) -> tuple[Path, int, int] | None:
    """Write the day's rows to a complete temporary file; (file, rows copied, file rows), or
    None when no row may go."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f"{final.name}.{attempt}{_TMP}")
    rows_file = tmp
    if final.exists():  # archived before: merge the earlier file with the new rows
        rows_file = final.with_name(f"{final.name}.{attempt}.new{_TMP}")
    ((copied,),) = fetch_all(con, f"retention/copy_{table}.sql", path=str(rows_file), **bounds)
    if copied == 0:
        rows_file.unlink(missing_ok=True)
        return None
    expected = copied
    if rows_file != tmp:
        ((earlier,),) = fetch_all(con, "retention/file_rows.sql", path=str(final))
        fetch_all(con, "retention/merge_files.sql", files=[str(final), str(rows_file)],
                  path=str(tmp))  # fmt: skip
        rows_file.unlink()
        expected += earlier
    ((written,),) = fetch_all(con, "retention/file_rows.sql", path=str(tmp))
    if written != expected:
        raise RuntimeError(f"{tmp.name}: read back {written} rows, expected {expected}")
    _sync(tmp)
    return tmp, copied, written


def _retire_day(
    con: duckdb.DuckDBPyConnection,
    policy: RawRetention,
    table: str,
    day: date,
    hook: Hook | None,
) -> dict[str, object] | None:
    """Archive (or drop) and delete one table's day in one transaction; its log row, or None."""
    start, end = day_bounds(day, policy.time_zone)
    bounds = {"time_zone": policy.time_zone, "day_start": start, "day_end": end}
    attempt = uuid.uuid4().hex
    archiving = policy.mode == "archive"
    final = archive_file(policy.archive_dir, table, day) if archiving else None
    archived = None
    execute(con, "retention/macros.sql")
    with transaction(con):
        if archiving:
            archived = _archive(con, table, bounds, final, attempt)
            if archived is None:
                return None
            if hook:
                hook("archived", table, day)
        ((deleted,),) = fetch_all(con, f"retention/delete_{table}.sql", **bounds)
        if archived and deleted != archived[1]:
            raise RuntimeError(
                f"{table} {day}: {deleted} rows to delete but {archived[1]} archived; "
                "nothing deleted"
            )
        if deleted == 0:
            return None
        row = {
            "attempt_id": attempt,
            "table_name": table,
            "day": day,
            "time_zone": policy.time_zone,
            "mode": policy.mode,
            "rows_removed": deleted,
            "file": final.relative_to(policy.archive_dir).as_posix() if archived else None,
            "file_rows": archived[2] if archived else None,
            "file_bytes": archived[0].stat().st_size if archived else None,
            "retention_days": policy.days,
            "done_at": datetime.now(UTC),
        }
        execute(con, "retention/log.sql", **row)
    if archived:
        if hook:
            hook("committed", table, day)
        os.replace(archived[0], final)
        _sync(final.parent)
    return row


def retire(
    connect: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    policy: RawRetention,
    now: datetime | None = None,
    hook: Hook | None = None,
) -> RetentionOutcome:
    """Retire every table's days past their age whose derived rows are built.

    ``connect`` opens a writing connection (a context manager, e.g. the warehouse resource's
    ``connection``); one is opened per table and day so other writers get the file in between.
    Idempotent: what was done is not found again, and what a crash left is finished first.
    """
    now = now or datetime.now(UTC)
    outcome = RetentionOutcome(cutoff=policy.cutoff(now))
    with connect() as con:
        if policy.archive_dir is not None:
            outcome.pending_finished, outcome.pending_discarded = finish_pending(
                con, policy.archive_dir
            )
        work = [(t, d) for t, d, rows_due, _ in due(con, policy, now) if rows_due]
    for table, day in work:
        with connect() as con:
            row = _retire_day(con, policy, table, day, hook)
        if row is None:
            continue
        outcome.rows_removed[table] += int(row["rows_removed"])
        outcome.days.append(row)
        if row["file"]:
            outcome.files_written.append(str(row["file"]))
    return outcome
