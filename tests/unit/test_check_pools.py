"""Asset checks only read: each opens a read-only connection and takes no DuckDB writer slot, so
a check queued behind a poll (or a poll behind a check) waits for the file's lock a moment at
most, never for the one writer slot."""

from __future__ import annotations

from pipelines.definitions import defs
from pipelines.defs.common import DUCKDB_POOL

# A check that had to write would take the writer pool and be named here, with why.
CHECKS_THAT_WRITE: set[str] = set()


def test_no_asset_check_takes_the_writer_slot() -> None:
    checks = list(defs.asset_checks or [])
    assert checks
    for check in checks:
        names = {key.name for key in check.check_keys}
        if names & CHECKS_THAT_WRITE:
            assert check.node_def.pool == DUCKDB_POOL, names
            continue
        assert check.node_def.pool is None, f"{names} takes the {check.node_def.pool} pool"
