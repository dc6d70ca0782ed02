"""Settings for calling Kore.ai: what they are, how they are validated, how they read the env.

One frozen :class:`KoreSettings` carries everything any endpoint needs (host, bot, account,
credentials, budget, timeouts, retry pacing). Validation names the environment variable to fix
and never echoes the secret. :meth:`KoreSettings.from_env` is the only code here that reads the
environment (it moves to ``pipelines/settings.py`` later); :meth:`KoreSettings.parse_env_value`
turns one variable's text into a field value for it and for the Dagster resource.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from pipelines.kore.errors import KoreConfigError
from pipelines.net import is_loopback_host

__all__ = ["ALGORITHMS", "API_PREFIX", "CONNECTION_FIELDS", "KoreSettings"]

ALGORITHMS = ("HS256", "HS512")
# Every Agent AI public API lives under this path, followed by the bot (stream) ID.
API_PREFIX = "agentassist/api/v1/public"
# The fields without a default: where and as whom to call.
CONNECTION_FIELDS = ("host", "bot_id", "account_id", "client_id", "client_secret")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


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
    algorithm: str = "HS256"
    jti_mode: bool = False
    token_ttl_s: int = 3600
    rate_limit_per_minute: int = 60
    # 32 was the fastest of 8/16/32/64 in benchmarks/bench_fanout.py (200 scopes, 150 ms each).
    max_concurrency: int = 32
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 20.0
    tick_deadline_s: float = 50.0
    max_attempts: int = 4
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 8.0
    allow_insecure_http: bool = False

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
        "max_concurrency": "KORE_MAX_CONCURRENCY",
        "connect_timeout_s": "KORE_CONNECT_TIMEOUT_SECONDS",
        "read_timeout_s": "KORE_READ_TIMEOUT_SECONDS",
        "tick_deadline_s": "KORE_TICK_DEADLINE_SECONDS",
        "max_attempts": "KORE_MAX_ATTEMPTS",
        "backoff_base_s": "KORE_BACKOFF_BASE_SECONDS",
        "backoff_cap_s": "KORE_BACKOFF_CAP_SECONDS",
        "allow_insecure_http": "KORE_ALLOW_INSECURE_HTTP",
    }

    # ---- the environment (the only reader of os.environ here) --------------------------------

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> KoreSettings:
        """Read ``KORE_*`` variables (``os.environ`` by default) and validate them.

        Unset optional variables keep the defaults above; a value that does not parse raises
        :class:`KoreConfigError` naming the variable, never echoing the secret.
        """
        source = os.environ if env is None else env
        kwargs: dict[str, Any] = {}
        for name, var in cls.ENV_NAMES.items():
            raw = source.get(var)
            if raw is None:
                continue
            kwargs[name] = cls.parse_env_value(name, raw)
        for required in CONNECTION_FIELDS:
            kwargs.setdefault(required, "")
        settings = cls(**kwargs)
        settings.validate()
        return settings

    @classmethod
    def parse_env_value(cls, name: str, raw: str) -> Any:
        """One field's value from its environment variable's text, or an error naming it."""
        var = cls.ENV_NAMES[name]
        default = cls.__dataclass_fields__[name].default
        value = raw.strip()
        if isinstance(default, bool):
            if value.lower() in _TRUE:
                return True
            if value.lower() in _FALSE:
                return False
            raise KoreConfigError(f"{var} must be true or false, got {value!r}")
        if isinstance(default, int):
            try:
                return int(value)
            except ValueError:
                raise KoreConfigError(f"{var} must be a whole number, got {value!r}") from None
        if isinstance(default, float):
            try:
                return float(value)
            except ValueError:
                raise KoreConfigError(f"{var} must be a number of seconds, got {value!r}") from None
        if name == "client_secret":
            return raw.strip()
        return value

    # ---- validation ----------------------------------------------------------------------------

    def validate(self) -> None:
        """Refuse settings that could only fail later, with a message naming the variable."""
        env = self.ENV_NAMES
        for name in CONNECTION_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise KoreConfigError(f"{env[name]} is empty; it is required to call Kore.ai")
        self._validate_host()
        if self.algorithm not in ALGORITHMS:
            raise KoreConfigError(
                f"KORE_JWT_ALGORITHM must be one of {', '.join(ALGORITHMS)} "
                f"(the app's JWT signing algorithm), got {self.algorithm!r}"
            )
        if not isinstance(self.token_ttl_s, int) or not 1 <= self.token_ttl_s <= 3600:
            raise KoreConfigError(
                "KORE_TOKEN_TTL_SECONDS must be between 1 and 3600 (Kore refuses a JTI token "
                f"whose exp is more than an hour after iat), got {self.token_ttl_s!r}"
            )
        for name in ("rate_limit_per_minute", "max_concurrency", "max_attempts"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise KoreConfigError(f"{env[name]} must be a whole number >= 1, got {value!r}")
        for name in ("connect_timeout_s", "read_timeout_s", "tick_deadline_s", "backoff_cap_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise KoreConfigError(f"{env[name]} must be a number of seconds > 0, got {value!r}")
        base = self.backoff_base_s
        if not isinstance(base, int | float) or not math.isfinite(base) or base < 0:
            raise KoreConfigError(
                f"KORE_BACKOFF_BASE_SECONDS must be a number of seconds >= 0, got {base!r}"
            )

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
