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
from typing import Any

import duckdb
from dagster import ConfigurableResource, EnvVar
from dagster_duckdb import DuckDBResource
from pydantic import Field

from pipelines.kore import KoreSettings
from pipelines.scopes import Scope, load_scopes
from pipelines.warehouse import PiiPolicy, connect

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_SCOPES",
    "PROJECT_ROOT",
    "KoreResource",
    "ScopesResource",
    "WarehouseResource",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = PROJECT_ROOT / "data" / "availability.duckdb"
DEFAULT_SCOPES = PROJECT_ROOT / "config" / "scopes.toml"


# Optional Kore settings the resource exposes: resource field -> KoreSettings field. Unset
# (None) keeps KoreSettings' default, so defaults and parsing live in one place.
KORE_TUNING = {
    "algorithm": "algorithm",
    "jti_mode": "jti_mode",
    "rate_limit_per_minute": "rate_limit_per_minute",
    "max_concurrency": "max_concurrency",
    "tick_deadline_seconds": "tick_deadline_s",
    "allow_insecure_http": "allow_insecure_http",
    "token_ttl_seconds": "token_ttl_s",
    "connect_timeout_seconds": "connect_timeout_s",
    "read_timeout_seconds": "read_timeout_s",
    "max_attempts": "max_attempts",
    "backoff_base_seconds": "backoff_base_s",
    "backoff_cap_seconds": "backoff_cap_s",
}


def _tuning_field(name: str) -> Any:
    target = KORE_TUNING[name]
    default = KoreSettings.__dataclass_fields__[target].default
    return Field(default=None, description=f"{KoreSettings.ENV_NAMES[target]} (default {default})")


class KoreResource(ConfigurableResource):
    """Where and as whom to call Kore.ai's availability API."""

    host: str = Field(description="KORE_HOST, e.g. https://platform.kore.ai")
    bot_id: str = Field(description="KORE_BOT_ID: the bot (stream) ID of the contact center")
    account_id: str = Field(description="KORE_ACCOUNT_ID, sent in the accountId header")
    client_id: str = Field(description="KORE_CLIENT_ID: the API scope's Client ID (cs-...)")
    client_secret: str = Field(description="KORE_CLIENT_SECRET: signs the JWT; never logged")
    algorithm: str | None = _tuning_field("algorithm")
    jti_mode: bool | None = _tuning_field("jti_mode")
    rate_limit_per_minute: int | None = _tuning_field("rate_limit_per_minute")
    max_concurrency: int | None = _tuning_field("max_concurrency")
    tick_deadline_seconds: float | None = _tuning_field("tick_deadline_seconds")
    allow_insecure_http: bool | None = _tuning_field("allow_insecure_http")
    token_ttl_seconds: int | None = _tuning_field("token_ttl_seconds")
    connect_timeout_seconds: float | None = _tuning_field("connect_timeout_seconds")
    read_timeout_seconds: float | None = _tuning_field("read_timeout_seconds")
    max_attempts: int | None = _tuning_field("max_attempts")
    backoff_base_seconds: float | None = _tuning_field("backoff_base_seconds")
    backoff_cap_seconds: float | None = _tuning_field("backoff_cap_seconds")

    def settings(self) -> KoreSettings:
        tuning = {
            target: getattr(self, name)
            for name, target in KORE_TUNING.items()
            if getattr(self, name) is not None
        }
        return KoreSettings(
            host=self.host,
            bot_id=self.bot_id,
            account_id=self.account_id,
            client_id=self.client_id,
            client_secret=self.client_secret,
            **tuning,
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
        with connect(self.database, read_only, self.lock_timeout_seconds) as con:
            yield con

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.connection() as con:
            yield con


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def kore_resource_from_env() -> KoreResource:
    """Required connection settings stay ``EnvVar``s (resolved at run time, never shown);
    optional ones are parsed now, by KoreSettings, so a bad value names its variable."""
    tuning = {}
    for name, target in KORE_TUNING.items():
        raw = os.environ.get(KoreSettings.ENV_NAMES[target], "").strip()
        if raw:
            tuning[name] = KoreSettings.parse_env_value(target, raw)
    return KoreResource(
        host=EnvVar("KORE_HOST"),
        bot_id=EnvVar("KORE_BOT_ID"),
        account_id=EnvVar("KORE_ACCOUNT_ID"),
        client_id=EnvVar("KORE_CLIENT_ID"),
        client_secret=EnvVar("KORE_CLIENT_SECRET"),
        **tuning,
    )


def scopes_resource_from_env() -> ScopesResource:
    return ScopesResource(path=_env("AVAILABILITY_SCOPES", str(DEFAULT_SCOPES)))


def warehouse_resource_from_env() -> WarehouseResource:
    return WarehouseResource(
        database=_env("AVAILABILITY_DB", str(DEFAULT_DATABASE)),
        pii_mode=_env("AVAILABILITY_PII", "hash").strip().lower() or "hash",
    )
