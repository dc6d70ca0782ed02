"""The DuckDB warehouse: connections and migrations, the one SQL runner, the PII policy, the
tick write and the membership history. Everything else in the project reaches DuckDB through
these names."""

from pipelines.warehouse.connection import (
    DEFAULT_LOCK_TIMEOUT_S,
    connect,
    is_lock_error,
    migrate,
    open_with_retry,
    registered,
    transaction,
)
from pipelines.warehouse.membership import (
    MEMBERSHIP_COLUMNS,
    apply_membership,
    members_at,
    record_drift,
    upsert_discovered_scopes,
)
from pipelines.warehouse.pii import PII_MODES, PiiConfigError, PiiPolicy
from pipelines.warehouse.sql import execute, fetch_all, fetch_df, sql_text, statements
from pipelines.warehouse.ticks import (
    LANDING_COLUMNS,
    Tick,
    last_polled,
    scopes_frame,
    write_tick,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT_S",
    "LANDING_COLUMNS",
    "MEMBERSHIP_COLUMNS",
    "PII_MODES",
    "PiiConfigError",
    "PiiPolicy",
    "Tick",
    "apply_membership",
    "connect",
    "execute",
    "fetch_all",
    "fetch_df",
    "is_lock_error",
    "last_polled",
    "members_at",
    "migrate",
    "open_with_retry",
    "record_drift",
    "registered",
    "scopes_frame",
    "sql_text",
    "statements",
    "transaction",
    "upsert_discovered_scopes",
    "write_tick",
]
