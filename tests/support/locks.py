"""Another process holding the DuckDB file, released by the test, and a watch on lock refusals:
lock-wait tests synchronise on these events, never on a holder's sleep."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from pipelines.warehouse import connection

HOLDER = """
import select, sys, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
select.select([sys.stdin], [], [], float(sys.argv[2]))  # until released (or the backstop)
con.close()
"""
# How long a holder keeps the file if nobody releases it: only a broken run gets there.
HOLD_BACKSTOP_S = 60.0


@contextmanager
def writer_holding(database: str) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``database`` read-write (as a poll writing a tick does) until
    :func:`release` is called on it, or the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database, str(HOLD_BACKSTOP_S)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "locked"
        yield process
    finally:
        process.kill()
        process.wait()


def release(holder: subprocess.Popen[str]) -> None:
    """Let the holder close the file and exit."""
    assert holder.stdin is not None
    holder.stdin.write("release\n")
    holder.stdin.flush()
    holder.wait(timeout=HOLD_BACKSTOP_S)


def watch_lock_refusals(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """An event set once an open was refused for another process's lock (and so had to wait)."""
    refused = threading.Event()
    real = connection.is_lock_error

    def spy(exc: BaseException) -> bool:
        found = real(exc)
        if found:
            refused.set()
        return found

    monkeypatch.setattr(connection, "is_lock_error", spy)
    return refused
