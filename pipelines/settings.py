"""Every setting the project reads from the environment, and the only module that reads it.

Each variable is declared once below with its type, default, allowed range and one line of
doc; the README's settings table is checked against this list by a test. A bad value raises
:class:`SettingsError` naming the variable and the value (a secret's value is never shown),
booleans are strict (``true/false``, ``1/0``, ``yes/no``, ``on/off``), and nothing is parsed at
import time: each value is read when it is needed, so a code location loads without the Kore
connection settings and the first run says which one is missing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_REPORTS_DIR",
    "DEFAULT_SCOPES",
    "PROJECT_ROOT",
    "SETTINGS",
    "Setting",
    "SettingsError",
    "check",
    "default",
    "get",
    "is_set",
]

# The project folder in a checkout; an installed wheel has none, so every path below is also
# a setting. Defaults point inside the checkout, as `make demo` and `make dev` expect.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = PROJECT_ROOT / "data" / "availability.duckdb"
DEFAULT_SCOPES = PROJECT_ROOT / "config" / "scopes.toml"
DEFAULT_REPORTS_DIR = PROJECT_ROOT / "reports"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the variable and what is allowed."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: how to parse it, its default, its range, what it is for."""

    name: str
    kind: str  # text, secret, path, bool, int, float, choice, zone, date, cron
    default: Any
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()
    required: bool = False
    exclusive_minimum: bool = False

    def shown(self, raw: str) -> str:
        """The value as an error message may show it: never a secret's text."""
        return "<hidden>" if self.kind == "secret" else repr(raw)

    def parse(self, raw: str) -> Any:
        """The typed value of ``raw`` (the variable's text), or :class:`SettingsError`."""
        # Surrounding blanks are never part of a value: a secret read with `$(cat file)` keeps
        # no trailing newline, in every code path alike.
        text = raw.strip()
        parser = _PARSERS[self.kind]
        try:
            value = parser(self, text)
        except SettingsError:
            raise
        except (ValueError, TypeError, OverflowError):
            raise SettingsError(
                f"{self.name} must be {_KIND_WORDS[self.kind]}, got {self.shown(raw)}"
            ) from None
        self.check(value, raw)
        return value

    def check(self, value: Any, raw: Any = None) -> None:
        """Refuse a typed value outside the declared range, naming the variable."""
        shown = self.shown(str(value if raw is None else raw))
        if self.kind in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SettingsError(f"{self.name} must be {_KIND_WORDS[self.kind]}, got {shown}")
            if self.kind == "int" and not isinstance(value, int):
                raise SettingsError(f"{self.name} must be a whole number, got {shown}")
            if not math.isfinite(value):
                raise SettingsError(f"{self.name} must be a finite number, got {shown}")
            low, high = self.minimum, self.maximum
            too_low = low is not None and (value <= low if self.exclusive_minimum else value < low)
            if too_low or (high is not None and value > high):
                raise SettingsError(f"{self.name} must be {self.range_text()}, got {shown}")
        if self.choices and value not in self.choices:
            allowed = ", ".join(str(choice) for choice in self.choices)
            raise SettingsError(f"{self.name} must be one of {allowed}, got {shown}")

    def range_text(self) -> str:
        low = "" if self.minimum is None else f"{'>' if self.exclusive_minimum else '>='} "
        parts = []
        if self.minimum is not None:
            parts.append(f"{low}{self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"<= {self.maximum:g}")
        return " and ".join(parts) or "any number"


def _text(setting: Setting, text: str) -> str:
    return text


def _bool(setting: Setting, text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(text)


def _choice(setting: Setting, text: str) -> str:
    """The declared choice the text names, case aside (``hs256`` is ``HS256``)."""
    for choice in setting.choices:
        if choice.lower() == text.lower():
            return choice
    return text  # not a choice: check() names the allowed ones


def _zone(setting: Setting, text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"{setting.name}={text!r} is not a known IANA time zone (e.g. 'UTC', "
            "'America/New_York')"
        ) from None
    return text


def _cron(setting: Setting, text: str) -> str:
    from dagster._utils.schedules import is_valid_cron_string  # only when a cron is read

    if not is_valid_cron_string(text):
        raise ValueError(text)
    return text


def _path(setting: Setting, text: str) -> str:
    if not text:
        raise SettingsError(f"{setting.name} is set but empty; unset it or give a path")
    return text


_PARSERS: dict[str, Callable[[Setting, str], Any]] = {
    "text": _text,
    "secret": _text,
    "path": _path,
    "bool": _bool,
    "int": lambda s, t: int(t),
    "float": lambda s, t: float(t),
    "choice": _choice,
    "zone": _zone,
    "date": lambda s, t: date.fromisoformat(t).isoformat(),
    "cron": _cron,
}
_KIND_WORDS = {
    "text": "text",
    "secret": "text",
    "path": "a file path",
    "bool": "true or false",
    "int": "a whole number",
    "float": "a number",
    "choice": "one of the listed values",
    "zone": "an IANA time zone name",
    "date": "a date like 2026-01-01",
    "cron": "a cron expression like '* * * * *'",
}


def _s(name: str, kind: str, default: Any, doc: str, **limits: Any) -> Setting:
    return Setting(name, kind, default, doc, **limits)


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
        # --- Contact volume (Kore's callvolume endpoint, demand) ---
        _s(
            "KORE_CALLVOLUME_TIME_UNIT",
            "choice",
            "auto",
            "unit of callvolume times: auto (detected from handle time), seconds, milliseconds",
            choices=("auto", "seconds", "milliseconds"),
        ),
        _s(
            "KORE_CALLVOLUME_AMBIGUOUS_UNIT",
            "choice",
            "milliseconds",
            "the unit when auto cannot tell (mean handle time between 2,000 and 20,000)",
            choices=("seconds", "milliseconds"),
        ),
        _s(
            "KORE_CALLVOLUME_FIRST_SYNC_DAYS",
            "int",
            28,
            "days of contact volume the first sync fetches",
            minimum=1,
            maximum=366,
        ),
        _s(
            "KORE_CALLVOLUME_RESTATEMENT_HOURS",
            "float",
            2.0,
            "each sync re-reads this much before the watermark (late restatements)",
            minimum=0,
            maximum=168,
        ),
        _s(
            "KORE_CALLVOLUME_PAGE_SIZE",
            "int",
            100,
            "callvolume rows asked per page (limit)",
            minimum=1,
            maximum=1000,
        ),
        _s(
            "KORE_CALLVOLUME_PAGES_PER_RUN",
            "int",
            40,
            "callvolume pages one run may fetch; the rest resumes next run",
            minimum=1,
            maximum=1000,
        ),
        _s(
            "KORE_CALLVOLUME_SKILL_BREAKDOWN",
            "bool",
            True,
            "ask callvolume for per-skill rows (includeSkillBreakdown)",
        ),
        _s("KORE_CALLVOLUME_CRON", "cron", "*/15 * * * *", "contact volume sync schedule (UTC)"),
        # --- Exact status history (Agent Status Details v3) ---
        _s(
            "KORE_STATUS_HISTORY_ASK",
            "choice",
            "utc",
            "how a local day is asked: utc (offset 0, the UTC dates it touches) or local_noon",
            choices=("utc", "local_noon"),
        ),
        _s(
            "KORE_STATUS_HISTORY_DATE_FIELD",
            "choice",
            "range",
            "dateFilter fields sent: range (startDate/endDate) or date (the docs' sample)",
            choices=("range", "date"),
        ),
        _s(
            "KORE_STATUS_HISTORY_PAGE_SIZE",
            "int",
            50,
            "agents asked per status details page (limit)",
            minimum=1,
            maximum=50,
        ),
        _s(
            "KORE_STATUS_HISTORY_PAGES_PER_RUN",
            "int",
            60,
            "status details pages one run may fetch; the rest resumes next run",
            minimum=1,
            maximum=1000,
        ),
        _s(
            "KORE_STATUS_HISTORY_DAYS_BACK",
            "int",
            7,
            "closed days back the history sync looks for missing ones",
            minimum=1,
            maximum=366,
        ),
        _s(
            "KORE_STATUS_HISTORY_CRON",
            "cron",
            "15 0 * * *",
            "nightly fetch of yesterday's status history (reporting zone)",
        ),
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
}


def _setting(name: str) -> Setting:
    try:
        return SETTINGS[name]
    except KeyError:
        raise KeyError(f"{name} is not a declared setting (see pipelines/settings.py)") from None


def default(name: str) -> Any:
    """The declared default of a setting (None where there is none)."""
    return _setting(name).default


def is_set(name: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether the variable is set to something other than blanks."""
    source = os.environ if env is None else env
    return bool((source.get(_setting(name).name) or "").strip())


def get(name: str, env: Mapping[str, str] | None = None) -> Any:
    """The typed value of a setting: parsed and checked, or its default when unset.

    An empty value counts as unset, except for paths, where ``AVAILABILITY_DB=`` would quietly
    mean something else: it is refused. A required setting that is unset raises, naming it.
    """
    setting = _setting(name)
    source = os.environ if env is None else env
    raw = source.get(name)
    if raw is None or (not raw.strip() and setting.kind != "path"):
        if setting.required:
            raise SettingsError(f"{name} is not set; it is required ({setting.doc})")
        return setting.default
    return setting.parse(raw)


def check(name: str, value: Any) -> None:
    """Check a typed value (from a resource's config, say) against the setting's range."""
    _setting(name).check(value)
