"""How big the DuckDB file is, as the file system and as DuckDB see it.

DuckDB does not give deleted space back to the file system: a DELETE marks rows deleted, the
next checkpoint frees the blocks they filled, and later writes reuse those blocks, so the
file stops growing rather than shrinking. ``used_bytes`` is what the data needs; the
difference to the file's size is free blocks waiting for reuse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.warehouse import fetch_all

__all__ = ["DatabaseSize", "database_size"]


@dataclass(frozen=True)
class DatabaseSize:
    file_bytes: int
    used_bytes: int
    free_bytes: int

    def as_metadata(self, prefix: str) -> dict[str, int]:
        return {
            f"{prefix}_file_bytes": self.file_bytes,
            f"{prefix}_used_bytes": self.used_bytes,
            f"{prefix}_free_bytes": self.free_bytes,
        }


def database_size(con: duckdb.DuckDBPyConnection, path: str | Path) -> DatabaseSize:
    """The file's size on disk and DuckDB's used and free blocks (after a checkpoint, so
    the figures include what the WAL still held)."""
    con.execute("CHECKPOINT")
    ((block_size, _total, used, free, _wal),) = fetch_all(con, "retention/database_size.sql")
    return DatabaseSize(
        file_bytes=os.path.getsize(path) if Path(path).exists() else 0,
        used_bytes=int(used) * int(block_size),
        free_bytes=int(free) * int(block_size),
    )
