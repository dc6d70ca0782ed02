"""The settings of running it: shortfall alerts, retention and the local tools.

Declared here only to keep :mod:`pipelines.settings_declared` (the one table, which lists these
after its own) short; the same rules hold: read and parsed only by :mod:`pipelines.settings`.
"""

from __future__ import annotations

from pipelines.settings_kinds import Setting
from pipelines.settings_kinds import declare as _s

__all__ = ["OPERATIONS"]

OPERATIONS: tuple[Setting, ...] = (
    # --- Shortfall alerts (pipelines/alerts) ---
    _s(
        "AVAILABILITY_ALERT_SLACK_WEBHOOK_URL",
        "secret",
        None,
        "Slack incoming-webhook URL for shortfall alerts",
    ),
    _s(
        "AVAILABILITY_ALERT_TEAMS_WEBHOOK_URL",
        "secret",
        None,
        "Microsoft Teams webhook URL (Workflows or connector) for shortfall alerts",
    ),
    _s(
        "AVAILABILITY_ALERT_JSON_WEBHOOK_URL",
        "secret",
        None,
        "URL that receives every figure of each alert as plain JSON",
    ),
    _s(
        "AVAILABILITY_ALERT_SHORTFALL",
        "text",
        "1",
        "shortfall (required - on-queue) that is short: agents (2) or share of required (10%)",
    ),
    _s(
        "AVAILABILITY_ALERT_MIN_POLLS",
        "int",
        3,
        "consecutive short polls before a scope alerts: the minimum duration",
        minimum=1,
        maximum=1440,
    ),
    _s(
        "AVAILABILITY_ALERT_RECOVERY_POLLS",
        "int",
        2,
        "consecutive polls not short that end an episode with a recovery message",
        minimum=1,
        maximum=1440,
    ),
    _s(
        "AVAILABILITY_ALERT_QUIET_HOURS",
        "text",
        None,
        "local hours when no alert opens, e.g. 22:00-07:00 (AVAILABILITY_TIME_ZONE)",
    ),
    _s(
        "AVAILABILITY_ALERT_RULES_FILE",
        "path",
        None,
        "per-scope threshold, duration, quiet hours (TOML)",
    ),
    _s(
        "AVAILABILITY_ALERT_SENSOR_SECONDS",
        "int",
        60,
        "how often the alert sensor evaluates",
        minimum=15,
        maximum=3600,
    ),
    _s(
        "AVAILABILITY_ALERT_TIMEOUT_SECONDS",
        "float",
        5.0,
        "whole-exchange limit of one webhook delivery attempt",
        minimum=0,
        maximum=15,
        exclusive_minimum=True,
    ),
    _s(
        "AVAILABILITY_ALERT_DEADLINE_SECONDS",
        "float",
        30.0,
        "an evaluation starts no delivery attempt after this",
        minimum=0,
        maximum=30,
        exclusive_minimum=True,
    ),
    _s(
        "AVAILABILITY_ALERT_MAX_ATTEMPTS",
        "int",
        5,
        "delivery attempts per message (transient failures only)",
        minimum=1,
        maximum=20,
    ),
    _s(
        "AVAILABILITY_ALERT_BACKOFF_SECONDS",
        "float",
        30.0,
        "first retry pause of a message, doubling, at most 600 s",
        minimum=0,
        maximum=600,
    ),
    _s(
        "AVAILABILITY_ALERT_RATE_LIMIT_PER_MINUTE",
        "int",
        20,
        "delivery attempts per destination per minute; the rest wait",
        minimum=1,
    ),
    _s(
        "AVAILABILITY_ALERT_ALLOW_INSECURE_HTTP",
        "bool",
        False,
        "allow a plain http:// webhook to a host that is not this machine",
    ),
    # --- Retention ---
    _s(
        "AVAILABILITY_RAW_RETENTION_DAYS",
        "int",
        14,
        "whole local days before today raw bodies stay in DuckDB",
        minimum=1,
        maximum=3660,
    ),
    _s(
        "AVAILABILITY_RAW_RETENTION_MODE",
        "choice",
        "archive",
        "raw bodies past their age: archive (Parquet per table and day) or drop",
        choices=("archive", "drop"),
    ),
    _s(
        "AVAILABILITY_RAW_ARCHIVE_DIR",
        "path",
        None,
        "where archived raw bodies go",
    ),
    _s(
        "AVAILABILITY_RUN_RETENTION_DAYS",
        "int",
        14,
        "days of finished Dagster runs and their event logs kept",
        minimum=1,
        maximum=3660,
    ),
    _s(
        "AVAILABILITY_RETENTION_CRON",
        "cron",
        "0 2 * * *",
        "nightly retention, after the history fetch and finalize (reporting zone)",
    ),
    # --- Local tools ---
    _s(
        "DAGSTER_PORT",
        "int",
        3000,
        "`make dev`: the Dagster UI's port",
        minimum=1,
        maximum=65535,
    ),
)
