"""Every environment variable the project reads, declared once: kind, default, range, doc.

The README's settings table is checked against this table by a test; the values are read and
parsed only by :mod:`pipelines.settings`.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.settings_declared_ops import OPERATIONS
from pipelines.settings_declared_sources import SOURCES
from pipelines.settings_kinds import Setting
from pipelines.settings_kinds import declare as _s

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_REPORTS_DIR",
    "DEFAULT_SCOPES",
    "PROJECT_ROOT",
    "SETTINGS",
]

# The project folder in a checkout; an installed wheel has none, so every path below is also
# a setting. Defaults point inside the checkout, as `make demo` and `make dev` expect.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = PROJECT_ROOT / "data" / "availability.duckdb"
DEFAULT_SCOPES = PROJECT_ROOT / "config" / "scopes.toml"
DEFAULT_REPORTS_DIR = PROJECT_ROOT / "reports"


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        # --- Kore.ai connection (required to poll; resolved when a run needs them) ---
        _s("KORE_HOST", "text", None, "Kore.ai host, e.g. https://platform.kore.ai", required=True),
        _s("KORE_BOT_ID", "text", None, "the bot (stream) ID of the contact center", required=True),
        _s(
            "KORE_ACCOUNT_ID",
            "text",
            None,
            "account ID, sent in the accountId header",
            required=True,
        ),
        _s("KORE_CLIENT_ID", "text", None, "the API scope's Client ID (cs-...)", required=True),
        _s(
            "KORE_CLIENT_SECRET",
            "secret",
            None,
            "the API scope's Client Secret; signs the JWT",
            required=True,
        ),
        _s(
            "KORE_ORG_ID",
            "text",
            None,
            "the org ID in the List All Agents path (membership acquisition)",
        ),
        # --- Kore.ai client tuning ---
        _s(
            "KORE_JWT_ALGORITHM",
            "choice",
            "HS256",
            "JWT signing algorithm",
            choices=("HS256", "HS512"),
        ),
        _s("KORE_JTI_MODE", "bool", False, "the app enforces JTI: a fresh jti and exp per token"),
        _s(
            "KORE_TOKEN_TTL_SECONDS",
            "int",
            3600,
            "JTI mode token lifetime",
            minimum=1,
            maximum=3600,
        ),
        _s(
            "KORE_RATE_LIMIT_PER_MINUTE",
            "int",
            60,
            "the account's request budget per minute",
            minimum=1,
        ),
        _s(
            "KORE_RATE_RESERVE_PER_MINUTE",
            "int",
            0,
            "requests per minute left to other integrations of the same account",
            minimum=0,
        ),
        _s("KORE_MAX_CONCURRENCY", "int", 32, "requests in flight at once", minimum=1),
        _s(
            "KORE_CONNECT_TIMEOUT_SECONDS",
            "float",
            5.0,
            "connect timeout per attempt",
            minimum=0,
            exclusive_minimum=True,
        ),
        _s(
            "KORE_READ_TIMEOUT_SECONDS",
            "float",
            20.0,
            "read timeout per attempt",
            minimum=0,
            exclusive_minimum=True,
        ),
        _s(
            "KORE_TICK_DEADLINE_SECONDS",
            "float",
            50.0,
            "a tick gives up on unfinished scopes after this",
            minimum=0,
            exclusive_minimum=True,
        ),
        _s(
            "KORE_TICK_TEXT_BUDGET_MB",
            "int",
            256,
            "text of the answers one tick keeps; past it the largest are refused (memory bound)",
            minimum=1,
        ),
        _s(
            "KORE_MAX_ATTEMPTS",
            "int",
            4,
            "tries per scope per tick (transient faults only)",
            minimum=1,
        ),
        _s(
            "KORE_BACKOFF_BASE_SECONDS",
            "float",
            0.5,
            "first retry pause (jittered, doubling)",
            minimum=0,
        ),
        _s(
            "KORE_BACKOFF_CAP_SECONDS",
            "float",
            8.0,
            "longest retry pause",
            minimum=0,
            exclusive_minimum=True,
        ),
        _s(
            "KORE_ALLOW_INSECURE_HTTP",
            "bool",
            False,
            "allow plain http:// to a host that is not this machine",
        ),
        # --- Storage and privacy ---
        _s("AVAILABILITY_DB", "path", str(DEFAULT_DATABASE), "the DuckDB file"),
        _s(
            "AVAILABILITY_ACCOUNTS_FILE",
            "path",
            None,
            "the accounts file (TOML) of a deployment serving several Kore.ai accounts",
        ),
        _s(
            "AVAILABILITY_ACCOUNT_NAME",
            "text",
            "default",
            "the account of the KORE_* settings and of AVAILABILITY_DB's data",
        ),
        _s(
            "AVAILABILITY_BUDGET_LEDGER",
            "path",
            None,
            "the request ledger (SQLite) every process of the machine reserves Kore.ai sends in",
        ),
        _s("AVAILABILITY_SCOPES", "path", str(DEFAULT_SCOPES), "the scopes file (TOML)"),
        _s(
            "AVAILABILITY_REPORTS_DIR",
            "path",
            str(DEFAULT_REPORTS_DIR),
            "where daily reports are written",
        ),
        _s(
            "AVAILABILITY_PII",
            "choice",
            "hash",
            "what is stored of agents' e-mail and phone",
            choices=("hash", "keep", "drop"),
        ),
        _s("AVAILABILITY_PII_KEY", "secret", None, "secret key (16+ characters) for PII hashing"),
        # --- Acquisition ---
        _s(
            "AVAILABILITY_ACQUISITION",
            "choice",
            "auto",
            "membership (one request per tick), per_scope, or auto (membership, else per scope)",
            choices=("auto", "membership", "per_scope"),
        ),
        _s(
            "AVAILABILITY_MEMBERSHIP_REFRESH_MINUTES",
            "int",
            60,
            "how often membership is listed again from Kore",
            minimum=1,
        ),
        _s(
            "AVAILABILITY_MEMBERSHIP_PAGES_PER_TICK",
            "int",
            2,
            "listing pages a tick may fetch for a refresh after the first",
            minimum=1,
        ),
        _s(
            "AVAILABILITY_DRIFT_CHECK_MINUTES",
            "int",
            60,
            "how often one skill or queue is asked directly to check the membership",
            minimum=1,
        ),
        *SOURCES,
        # --- Coverage ---
        _s(
            "AVAILABILITY_TIME_ZONE",
            "zone",
            "UTC",
            "reporting time zone: local days and partitions",
        ),
        _s(
            "AVAILABILITY_INTERVAL_MINUTES",
            "int",
            15,
            "coverage interval length",
            choices=(5, 15, 30, 60),
        ),
        _s(
            "AVAILABILITY_MAX_GAP_SECONDS",
            "float",
            120.0,
            "longest gap a status is carried over between polls",
            minimum=0,
            exclusive_minimum=True,
        ),
        _s(
            "AVAILABILITY_TARGETS_FILE",
            "path",
            None,
            "required agents per scope and interval (CSV)",
        ),
        _s(
            "AVAILABILITY_FORECAST_FILE",
            "path",
            None,
            "contacts and handle time per scope and interval (CSV)",
        ),
        _s(
            "AVAILABILITY_SCHEDULES_FILE",
            "path",
            None,
            "agents scheduled per scope and interval (CSV)",
        ),
        _s(
            "AVAILABILITY_NONPRODUCTIVE_BUSY",
            "text",
            "Training,Login Prep,Meeting",
            "custom BUSY status names (history's secondaryStatus, comma-separated, any case) "
            "that are not on queue",
        ),
        _s(
            "AVAILABILITY_RECONCILIATION_THRESHOLD",
            "float",
            0.05,
            "the reconciliation check warns when polls are off the exact history by more than "
            "this share of its mean",
            minimum=0,
        ),
        _s(
            "AVAILABILITY_COMPLETENESS_THRESHOLD",
            "float",
            0.9,
            "the observed-intervals check warns below this share",
            minimum=0,
            maximum=1,
        ),
        _s(
            "AVAILABILITY_MAX_UNMET_SHARE",
            "float",
            0.2,
            "the target check warns above this share of unmet intervals",
            minimum=0,
            maximum=1,
        ),
        _s(
            "AVAILABILITY_PARTITIONS_START",
            "date",
            "2026-01-01",
            "first day of the daily coverage partitions",
        ),
        # --- Demand from Kore's contact volume, and the profile forecast ---
        _s(
            "AVAILABILITY_SERVICE_LEVEL",
            "float",
            0.8,
            "service-level goal of requirements computed from demand (share answered in time)",
            minimum=0,
            maximum=0.999,
            exclusive_minimum=True,
        ),
        _s(
            "AVAILABILITY_TARGET_SECONDS",
            "float",
            20.0,
            "answer-time target of that service level, in seconds",
            minimum=0,
        ),
        _s(
            "AVAILABILITY_MAX_OCCUPANCY",
            "float",
            None,
            "cap on occupancy of requirements computed from demand (unset: none)",
            minimum=0,
            maximum=1,
            exclusive_minimum=True,
        ),
        _s(
            "AVAILABILITY_PROFILE_WEEKS",
            "int",
            4,
            "weeks of contact volume the weekday x interval profile forecast averages",
            minimum=1,
            maximum=52,
        ),
        # --- Schedules and checks ---
        _s("AVAILABILITY_POLL_CRON", "cron", "* * * * *", "poll schedule (UTC)"),
        _s(
            "AVAILABILITY_COVERAGE_CRON",
            "cron",
            "*/15 * * * *",
            "today's coverage refresh (reporting zone)",
        ),
        _s(
            "AVAILABILITY_FINALIZE_CRON",
            "cron",
            "30 0 * * *",
            "rebuild of the last days after midnight (reporting zone)",
        ),
        _s(
            "AVAILABILITY_LOOKBACK_DAYS",
            "int",
            2,
            "days the finalize schedule rebuilds",
            minimum=1,
            maximum=31,
        ),
        _s("AVAILABILITY_SCHEDULE_STOPPED", "bool", False, "load the schedules stopped"),
        _s(
            "AVAILABILITY_FRESHNESS_MINUTES",
            "float",
            5.0,
            "the freshness check's limit",
            minimum=0,
            exclusive_minimum=True,
        ),
        *OPERATIONS,
    )
}
