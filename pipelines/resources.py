"""Dagster resources: the Kore.ai connection, the scopes file, and the DuckDB warehouse.

Connection settings and secrets come from environment variables through ``EnvVar`` so the
definitions load without them and the UI never shows the secret. Assets take these resources
as parameters, so tests swap them for ones pointing at the simulator and a temp file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, EnvVar
from dagster_duckdb import DuckDBResource
from pydantic import Field

from pipelines.kore_client import KoreSettings
from pipelines.scopes import Scope, load_scopes
from pipelines.warehouse import PiiPolicy, is_lock_error, migrate, open_with_retry

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_SCOPES",
    "PROJECT_ROOT",
    "KoreResource",
    "ScopesResource",
    "WarehouseResource",
    "is_lock_error",
    "open_with_retry",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = PROJECT_ROOT / "data" / "availability.duckdb"
DEFAULT_SCOPES = PROJECT_ROOT / "config" / "scopes.toml"


class KoreResource(ConfigurableResource):
    """Where and as whom to call Kore.ai's availability API."""

    host: str = Field(description="KORE_HOST, e.g. https://platform.kore.ai")
    bot_id: str = Field(description="KORE_BOT_ID: the bot (stream) ID of the contact center")
    account_id: str = Field(description="KORE_ACCOUNT_ID, sent in the accountId header")
    client_id: str = Field(description="KORE_CLIENT_ID: the API scope's Client ID (cs-...)")
    client_secret: str = Field(description="KORE_CLIENT_SECRET: signs the JWT; never logged")
    algorithm: str = Field(default="HS256", description="KORE_JWT_ALGORITHM: HS256 or HS512")
    jti_mode: bool = Field(default=False, description="KORE_JTI_MODE: app enforces JTI")
    rate_limit_per_minute: int = Field(default=60, description="KORE_RATE_LIMIT_PER_MINUTE")
    max_concurrency: int = Field(default=16, description="KORE_MAX_CONCURRENCY")
    tick_deadline_seconds: float = Field(default=50.0, description="KORE_TICK_DEADLINE_SECONDS")
    allow_insecure_http: bool = Field(default=False, description="KORE_ALLOW_INSECURE_HTTP")
    token_ttl_seconds: int = Field(default=3600, description="KORE_TOKEN_TTL_SECONDS (JTI mode)")
    connect_timeout_seconds: float = Field(default=5.0, description="KORE_CONNECT_TIMEOUT_SECONDS")
    read_timeout_seconds: float = Field(default=20.0, description="KORE_READ_TIMEOUT_SECONDS")
    max_attempts: int = Field(default=4, description="KORE_MAX_ATTEMPTS: tries per scope and tick")
    backoff_base_seconds: float = Field(default=0.5, description="KORE_BACKOFF_BASE_SECONDS")
    backoff_cap_seconds: float = Field(default=8.0, description="KORE_BACKOFF_CAP_SECONDS")

    def settings(self) -> KoreSettings:
        return KoreSettings(
            host=self.host,
            bot_id=self.bot_id,
            account_id=self.account_id,
            client_id=self.client_id,
            client_secret=self.client_secret,
            algorithm=self.algorithm,
            jti_mode=self.jti_mode,
            rate_limit_per_minute=self.rate_limit_per_minute,
            max_concurrency=self.max_concurrency,
            tick_deadline_s=self.tick_deadline_seconds,
            allow_insecure_http=self.allow_insecure_http,
            token_ttl_s=self.token_ttl_seconds,
            connect_timeout_s=self.connect_timeout_seconds,
            read_timeout_s=self.read_timeout_seconds,
            max_attempts=self.max_attempts,
            backoff_base_s=self.backoff_base_seconds,
            backoff_cap_s=self.backoff_cap_seconds,
        )


class ScopesResource(ConfigurableResource):
    """The scopes file (AVAILABILITY_SCOPES); read on every tick so edits apply at once."""

    path: str = Field(description="AVAILABILITY_SCOPES: path of the scopes TOML file")

    def load(self) -> list[Scope]:
        return load_scopes(self.path)


class WarehouseResource(DuckDBResource):
    """The DuckDB file (AVAILABILITY_DB), opened briefly per use.

    DuckDB lets one process write a file at a time; a second opener gets "Could not set lock".
    Every connection here is short-lived, closed even when the body raises (the stock
    ``get_connection`` does not), migrated before use, and opening retries lock conflicts for a
    bounded time so overlapping runs and notebooks queue instead of failing. Readers can ask
    for a read-only connection.
    """

    lock_timeout_seconds: float = Field(default=60.0, description="how long to wait for a lock")
    pii_mode: str = Field(
        default="hash",
        description=(
            "AVAILABILITY_PII: keep, hash (keyed, stable) or drop agents' e-mail and phone "
            "before storing; the key is read from AVAILABILITY_PII_KEY at run time, never here"
        ),
    )

    def pii_policy(self) -> PiiPolicy:
        """The PII policy; the key comes from the environment at run time so that it never
        becomes resource config (which Dagster shows in its UI)."""
        return PiiPolicy.from_env(mode=self.pii_mode)

    @contextmanager
    def connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if not read_only:
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        con = open_with_retry(self.database, read_only, self.lock_timeout_seconds)
        try:
            con.execute("SET TimeZone = 'UTC'")
            if not read_only:
                migrate(con)
            yield con
        finally:
            con.close()

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.connection() as con:
            yield con


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, got {value!r}")


def _env_number(name: str, default: float, kind: type = int) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{name} must be a {kind.__name__}, got {value!r}") from None


def kore_resource_from_env() -> KoreResource:
    """Required connection settings stay ``EnvVar``s (resolved at run time, never shown)."""
    return KoreResource(
        host=EnvVar("KORE_HOST"),
        bot_id=EnvVar("KORE_BOT_ID"),
        account_id=EnvVar("KORE_ACCOUNT_ID"),
        client_id=EnvVar("KORE_CLIENT_ID"),
        client_secret=EnvVar("KORE_CLIENT_SECRET"),
        algorithm=_env("KORE_JWT_ALGORITHM", "HS256"),
        jti_mode=_env_bool("KORE_JTI_MODE", False),
        rate_limit_per_minute=int(_env_number("KORE_RATE_LIMIT_PER_MINUTE", 60)),
        max_concurrency=int(_env_number("KORE_MAX_CONCURRENCY", 16)),
        tick_deadline_seconds=float(_env_number("KORE_TICK_DEADLINE_SECONDS", 50.0, float)),
        allow_insecure_http=_env_bool("KORE_ALLOW_INSECURE_HTTP", False),
        token_ttl_seconds=int(_env_number("KORE_TOKEN_TTL_SECONDS", 3600)),
        connect_timeout_seconds=float(_env_number("KORE_CONNECT_TIMEOUT_SECONDS", 5.0, float)),
        read_timeout_seconds=float(_env_number("KORE_READ_TIMEOUT_SECONDS", 20.0, float)),
        max_attempts=int(_env_number("KORE_MAX_ATTEMPTS", 4)),
        backoff_base_seconds=float(_env_number("KORE_BACKOFF_BASE_SECONDS", 0.5, float)),
        backoff_cap_seconds=float(_env_number("KORE_BACKOFF_CAP_SECONDS", 8.0, float)),
    )


def scopes_resource_from_env() -> ScopesResource:
    return ScopesResource(path=_env("AVAILABILITY_SCOPES", str(DEFAULT_SCOPES)))


def warehouse_resource_from_env() -> WarehouseResource:
    return WarehouseResource(
        database=_env("AVAILABILITY_DB", str(DEFAULT_DATABASE)),
        pii_mode=_env("AVAILABILITY_PII", "hash").strip().lower() or "hash",
    )
