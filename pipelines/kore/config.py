"""Settings for calling Kore.ai: what they are, how they are validated, how they read the env.

One frozen :class:`KoreSettings` carries everything any endpoint needs (host, bot, account,
credentials, budget, timeouts, retry pacing). Validation names the environment variable to fix
and never echoes the secret. :meth:`KoreSettings.from_env` is the only code here that reads the
environment, through :mod:`pipelines.settings`, which declares each variable's type, default and
range once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from pipelines import settings
from pipelines.kore.errors import KoreConfigError
from pipelines.net import is_loopback_host
from pipelines.settings import SettingsError

__all__ = ["ALGORITHMS", "ANALYTICS_PREFIX", "API_PREFIX", "CONNECTION_FIELDS", "KoreSettings"]

ALGORITHMS = settings.SETTINGS["KORE_JWT_ALGORITHM"].choices
# Every Agent AI public API lives under this path, followed by the bot (stream) ID.
API_PREFIX = "agentassist/api/v1/public"
# The analytics family (Contact Volume, Agent Status Details, ...), followed by the account ID.
ANALYTICS_PREFIX = "agentassist/api/public/analytics/account"
# The fields without a default: where and as whom to call.
CONNECTION_FIELDS = ("host", "bot_id", "account_id", "client_id", "client_secret")


@dataclass(frozen=True)
class KoreSettings:
    """Everything needed to call Kore.ai; built from environment variables by :meth:`from_env`.

    The secret is excluded from ``repr`` so a settings object can be logged or shown in a Dagster
    error without leaking it.
    """

    host: str
    bot_id: str
    account_id: str
    client_id: str
    client_secret: str = field(repr=False)
    algorithm: str = settings.default("KORE_JWT_ALGORITHM")
    jti_mode: bool = settings.default("KORE_JTI_MODE")
    token_ttl_s: int = settings.default("KORE_TOKEN_TTL_SECONDS")
    rate_limit_per_minute: int = settings.default("KORE_RATE_LIMIT_PER_MINUTE")
    rate_reserve_per_minute: int = settings.default("KORE_RATE_RESERVE_PER_MINUTE")
    org_id: str | None = settings.default("KORE_ORG_ID")
    # 32 was the fastest of 8/16/32/64 in benchmarks/bench_fanout.py (200 scopes, 150 ms each).
    max_concurrency: int = settings.default("KORE_MAX_CONCURRENCY")
    connect_timeout_s: float = settings.default("KORE_CONNECT_TIMEOUT_SECONDS")
    read_timeout_s: float = settings.default("KORE_READ_TIMEOUT_SECONDS")
    tick_deadline_s: float = settings.default("KORE_TICK_DEADLINE_SECONDS")
    tick_text_budget_mb: int = settings.default("KORE_TICK_TEXT_BUDGET_MB")
    max_attempts: int = settings.default("KORE_MAX_ATTEMPTS")
    backoff_base_s: float = settings.default("KORE_BACKOFF_BASE_SECONDS")
    backoff_cap_s: float = settings.default("KORE_BACKOFF_CAP_SECONDS")
    allow_insecure_http: bool = settings.default("KORE_ALLOW_INSECURE_HTTP")
    # Where these values come from when not from KORE_* (an account of the accounts file):
    # (setting, its source) pairs, so an error's hint names what to change for this account.
    sources: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    # Environment variable per field, so every validation message can name what to change.
    ENV_NAMES = {
        "host": "KORE_HOST",
        "bot_id": "KORE_BOT_ID",
        "account_id": "KORE_ACCOUNT_ID",
        "client_id": "KORE_CLIENT_ID",
        "client_secret": "KORE_CLIENT_SECRET",
        "algorithm": "KORE_JWT_ALGORITHM",
        "jti_mode": "KORE_JTI_MODE",
        "token_ttl_s": "KORE_TOKEN_TTL_SECONDS",
        "rate_limit_per_minute": "KORE_RATE_LIMIT_PER_MINUTE",
        "rate_reserve_per_minute": "KORE_RATE_RESERVE_PER_MINUTE",
        "org_id": "KORE_ORG_ID",
        "max_concurrency": "KORE_MAX_CONCURRENCY",
        "connect_timeout_s": "KORE_CONNECT_TIMEOUT_SECONDS",
        "read_timeout_s": "KORE_READ_TIMEOUT_SECONDS",
        "tick_deadline_s": "KORE_TICK_DEADLINE_SECONDS",
        "tick_text_budget_mb": "KORE_TICK_TEXT_BUDGET_MB",
        "max_attempts": "KORE_MAX_ATTEMPTS",
        "backoff_base_s": "KORE_BACKOFF_BASE_SECONDS",
        "backoff_cap_s": "KORE_BACKOFF_CAP_SECONDS",
        "allow_insecure_http": "KORE_ALLOW_INSECURE_HTTP",
    }

    # ---- from the environment -----------------------------------------------------------------

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
    ) -> KoreSettings:
        """The ``KORE_*`` settings (the process environment by default, read by pipelines.settings).

        Unset optional variables keep their declared defaults; a missing connection setting or
        a value that does not parse raises :class:`KoreConfigError` naming the variable, never
        echoing the secret. ``overrides`` (field -> value) win over the environment.
        """
        given = overrides or {}
        try:
            values = {
                name: given[name] if name in given else settings.get(var, env)
                for name, var in cls.ENV_NAMES.items()
            }
        except SettingsError as exc:
            raise KoreConfigError(str(exc)) from None
        result = cls(**values, sources=tuple(given.get("sources", ())))
        try:
            result.validate()
        except KoreConfigError as exc:
            raise KoreConfigError(result.in_its_terms(str(exc))) from None
        return result

    # ---- validation ----------------------------------------------------------------------------

    def validate(self) -> None:
        """Refuse settings that could only fail later, with a message naming the variable."""
        env = self.ENV_NAMES
        for name in CONNECTION_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise KoreConfigError(f"{env[name]} is empty; it is required to call Kore.ai")
        self._validate_host()
        try:
            for name, var in self.ENV_NAMES.items():
                if name not in CONNECTION_FIELDS:
                    settings.check(var, getattr(self, name))
        except SettingsError as exc:
            raise KoreConfigError(str(exc)) from None
        if self.rate_reserve_per_minute >= self.rate_limit_per_minute:
            raise KoreConfigError(
                f"KORE_RATE_RESERVE_PER_MINUTE={self.rate_reserve_per_minute} leaves nothing of "
                f"KORE_RATE_LIMIT_PER_MINUTE={self.rate_limit_per_minute}; it must be smaller"
            )

    def in_its_terms(self, text: str) -> str:
        """``text`` with each KORE_* setting it names replaced by where this value comes from
        (nothing changes for the single-account settings)."""
        if not self.sources:
            return text
        names = dict(self.sources)
        return re.sub("|".join(map(re.escape, names)), lambda m: names[m.group(0)], text)

    @property
    def budget_per_minute(self) -> int:
        """What this project may send per minute: the account's limit less the reserve."""
        return self.rate_limit_per_minute - self.rate_reserve_per_minute

    def require_org_id(self) -> str:
        """KORE_ORG_ID, or :class:`KoreConfigError` saying why the listing needs it."""
        if not self.org_id or not self.org_id.strip():
            raise KoreConfigError(
                "KORE_ORG_ID is not set; List All Agents needs the org ID in its path and Kore.ai "
                "documents no way to discover it (set KORE_ORG_ID, or poll per scope)"
            )
        return self.org_id.strip()

    def _validate_host(self) -> None:
        host = self.host.strip()
        parts = urlsplit(host)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise KoreConfigError(
                "KORE_HOST must be an http(s) URL such as https://platform.kore.ai "
                f"(or https://de-platform.kore.ai, https://jp-platform.kore.ai), got {host!r}"
            )
        if parts.username or parts.password:
            raise KoreConfigError("KORE_HOST must not carry a user name or password")
        if parts.query or parts.fragment:
            raise KoreConfigError(f"KORE_HOST must not carry a query or fragment, got {host!r}")
        insecure = parts.scheme == "http" and not is_loopback_host(parts.hostname)
        if insecure and not self.allow_insecure_http:
            raise KoreConfigError(
                f"KORE_HOST {host!r} uses plain http:// to a host that is not this machine, "
                "which would send the JWT unencrypted; use https:// or set "
                "KORE_ALLOW_INSECURE_HTTP=true"
            )

    # ---- where to send -------------------------------------------------------------------------

    def api_url(self, path: str) -> str:
        """The URL of the public API ``path`` (``agents/availability``, say) for this bot.

        The bot ID is quoted so it cannot alter the path.
        """
        base = self.host.strip().rstrip("/")
        bot = quote(self.bot_id.strip(), safe="")
        return f"{base}/{API_PREFIX}/{bot}/{path.lstrip('/')}"

    def analytics_url(self, path: str, version: str = "") -> str:
        """The URL of the analytics API ``path`` (``callvolume``, say) for this account; the
        account ID is quoted so it cannot alter the path. ``version`` ("1.1") goes between
        ``analytics`` and ``account``, as Historical Agent Status Summary's path has it."""
        base = self.host.strip().rstrip("/")
        account = quote(self.account_id.strip(), safe="")
        prefix = ANALYTICS_PREFIX
        if version:
            prefix = prefix.replace("/analytics/", f"/analytics/{quote(version, safe='')}/")
        return f"{base}/{prefix}/{account}/{path.lstrip('/')}"
