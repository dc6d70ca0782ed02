"""Dagster resources: the Kore.ai connection, the scopes file, the DuckDB warehouse and how
coverage is cut.

Connection settings and secrets are read from the settings when a run needs them, so the
definitions load without them and the UI never shows the secret. Assets take these resources
as parameters, so tests swap them for ones pointing at the simulator and a temp file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

import duckdb
import pandas as pd
from dagster import ConfigurableResource, InitResourceContext
from dagster_duckdb import DuckDBResource
from pydantic import Field, PrivateAttr

from pipelines import accounts, coverage, settings
from pipelines.accounts import ACCOUNT_DIMENSION, Account
from pipelines.coverage.requirements import load_requirements
from pipelines.coverage.schedules import load_schedules
from pipelines.coverage.settings import status_names
from pipelines.demand import DemandSettings
from pipelines.kore import KoreConfigError, KoreSettings
from pipelines.scopes import Scope, load_scopes
from pipelines.warehouse import PiiPolicy, connect

__all__ = [
    "CoverageResource",
    "DemandResource",
    "KoreResource",
    "ScopesResource",
    "WarehouseResource",
    "coverage_resource_from_env",
    "demand_resource_from_env",
    "kore_resource_from_env",
    "scopes_resource_from_env",
    "warehouse_resource_from_env",
]


# Resource field -> KoreSettings field. A field left unset (None) is read from its setting
# when a run needs it, so defaults and parsing live in pipelines.settings alone, the code
# location loads without any KORE_* variable, and the secret is never resource config.
KORE_FIELDS = {
    "host": "host",
    "bot_id": "bot_id",
    "account_id": "account_id",
    "client_id": "client_id",
    "client_secret": "client_secret",
    "org_id": "org_id",
    "algorithm": "algorithm",
    "jti_mode": "jti_mode",
    "rate_limit_per_minute": "rate_limit_per_minute",
    "rate_reserve_per_minute": "rate_reserve_per_minute",
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
CONNECTION = ("host", "bot_id", "account_id", "client_id", "client_secret")

# The tag Dagster puts on a run of one account × day partition.
ACCOUNT_TAG = f"dagster/partition/{ACCOUNT_DIMENSION}"


def run_account(context: InitResourceContext) -> Account | None:
    """The account of the run's partition (None: a run of no account, or one account)."""
    run = context.run
    name = run.tags.get(ACCOUNT_TAG) if run is not None else None
    return accounts.named(name) if name else None


def _copy(resource: ConfigurableResource, **updates: Any) -> Any:
    """The same resource with some fields replaced (None leaves a field as it is)."""
    fields = resource.model_dump()
    fields.update({k: v for k, v in updates.items() if v is not None})
    return type(resource)(**fields)


def _field(name: str) -> Any:
    variable = KoreSettings.ENV_NAMES[KORE_FIELDS[name]]
    default = settings.default(variable)
    shown = "required" if default is None else f"default {default}"
    if name == "client_secret":
        return Field(default=None, description=f"{variable}: read at run time, never config")
    return Field(default=None, description=f"{variable} when unset here ({shown})")


class KoreResource(ConfigurableResource):
    """Where and as whom to call Kore.ai, and how hard: any field left unset is read from
    its KORE_* setting when a run needs it."""

    host: str | None = _field("host")
    bot_id: str | None = _field("bot_id")
    account_id: str | None = _field("account_id")
    client_id: str | None = _field("client_id")
    client_secret: str | None = _field("client_secret")
    org_id: str | None = _field("org_id")
    algorithm: str | None = _field("algorithm")
    jti_mode: bool | None = _field("jti_mode")
    rate_limit_per_minute: int | None = _field("rate_limit_per_minute")
    rate_reserve_per_minute: int | None = _field("rate_reserve_per_minute")
    max_concurrency: int | None = _field("max_concurrency")
    tick_deadline_seconds: float | None = _field("tick_deadline_seconds")
    allow_insecure_http: bool | None = _field("allow_insecure_http")
    token_ttl_seconds: int | None = _field("token_ttl_seconds")
    connect_timeout_seconds: float | None = _field("connect_timeout_seconds")
    read_timeout_seconds: float | None = _field("read_timeout_seconds")
    max_attempts: int | None = _field("max_attempts")
    backoff_base_seconds: float | None = _field("backoff_base_seconds")
    backoff_cap_seconds: float | None = _field("backoff_cap_seconds")
    _account: Account | None = PrivateAttr(default=None)

    def for_account(self, account: Account) -> KoreResource:
        """This resource calling ``account`` (the same for the implicit account); its
        credentials are read from the variables the accounts file names when a run needs them."""
        if account.implicit:
            return self
        bound = _copy(self)
        bound._account = account
        return bound

    def create_resource(self, context: InitResourceContext) -> Self:
        account = run_account(context)
        return self.for_account(account) if account else self

    def settings(self) -> KoreSettings:
        """The validated settings; raises KoreConfigError naming a missing or bad variable."""
        given = {
            target: getattr(self, name)
            for name, target in KORE_FIELDS.items()
            if getattr(self, name) is not None
        }
        if self._account is not None:
            try:
                given.update(self._account.connection())
            except settings.SettingsError as exc:
                raise KoreConfigError(str(exc)) from None
        return KoreSettings.from_env(overrides=given)


class ScopesResource(ConfigurableResource):
    """The scopes file (AVAILABILITY_SCOPES); read on every tick so edits apply at once."""

    path: str = Field(description="AVAILABILITY_SCOPES: path of the scopes TOML file")

    def for_account(self, account: Account) -> ScopesResource:
        return self if account.implicit else _copy(self, path=account.scopes)

    def create_resource(self, context: InitResourceContext) -> Self:
        account = run_account(context)
        return self.for_account(account) if account else self

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

    _account: str | None = PrivateAttr(default=None)

    def for_account(self, account: Account) -> WarehouseResource:
        """The account's DuckDB file; a write through it claims the file for the account (or
        is refused when the file is another's)."""
        bound = _copy(self, database=account.database)
        bound._account = account.name
        return bound

    def create_resource(self, context: InitResourceContext) -> Self:
        account = run_account(context)
        return self.for_account(account) if account else self

    def pii_policy(self) -> PiiPolicy:
        """The PII policy; the key comes from the environment at run time so that it never
        becomes resource config (which Dagster shows in its UI)."""
        return PiiPolicy.from_env(mode=self.pii_mode)

    @contextmanager
    def connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.database, read_only, self.lock_timeout_seconds, self._account) as con:
            yield con

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.connection() as con:
            yield con


class CoverageResource(ConfigurableResource):
    """How coverage is cut and judged, and where requirements come from."""

    time_zone: str = Field(default="UTC", description="AVAILABILITY_TIME_ZONE (IANA name)")
    interval_minutes: int = Field(default=15, description="AVAILABILITY_INTERVAL_MINUTES")
    max_gap_seconds: float = Field(default=120.0, description="AVAILABILITY_MAX_GAP_SECONDS")
    targets_file: str = Field(default="", description="AVAILABILITY_TARGETS_FILE (CSV)")
    forecast_file: str = Field(default="", description="AVAILABILITY_FORECAST_FILE (CSV)")
    schedules_file: str = Field(default="", description="AVAILABILITY_SCHEDULES_FILE (CSV)")
    completeness_threshold: float = Field(
        default=0.9, description="AVAILABILITY_COMPLETENESS_THRESHOLD: warn below this share"
    )
    max_unmet_share: float = Field(
        default=0.2, description="AVAILABILITY_MAX_UNMET_SHARE: warn above this share"
    )
    nonproductive_busy: str = Field(
        default="Training,Login Prep,Meeting",
        description="AVAILABILITY_NONPRODUCTIVE_BUSY: custom BUSY names not on queue",
    )
    reconciliation_threshold: float = Field(
        default=0.05,
        description="AVAILABILITY_RECONCILIATION_THRESHOLD: warn above this share of the mean",
    )

    def for_account(self, account: Account) -> CoverageResource:
        """The account's time zone and requirement files (none unless its entry names them)."""
        if account.implicit:
            return self
        return _copy(
            self,
            time_zone=account.time_zone,
            targets_file=account.targets or "",
            forecast_file=account.forecast or "",
            schedules_file=account.schedules or "",
        )

    def create_resource(self, context: InitResourceContext) -> Self:
        account = run_account(context)
        return self.for_account(account) if account else self

    def settings(self) -> coverage.CoverageSettings:
        return coverage.CoverageSettings(
            time_zone=self.time_zone,
            interval_minutes=self.interval_minutes,
            max_gap_seconds=self.max_gap_seconds,
            nonproductive_busy=status_names(self.nonproductive_busy),
        )

    def rules(self, known_scopes: list[str]) -> pd.DataFrame:
        return load_requirements(
            self.targets_file or None,
            self.forecast_file or None,
            grid_minutes=self.interval_minutes,
            known_scopes=known_scopes,
        )

    def schedules(self, known_scopes: list[str]) -> pd.DataFrame:
        return load_schedules(
            self.schedules_file or None,
            grid_minutes=self.interval_minutes,
            known_scopes=known_scopes,
        )


class DemandResource(ConfigurableResource):
    """How demand becomes agents: the service-level goal, the occupancy cap, the forecast
    window (checked like the settings they come from)."""

    service_level: float = Field(default=0.8, description="AVAILABILITY_SERVICE_LEVEL")
    target_seconds: float = Field(default=20.0, description="AVAILABILITY_TARGET_SECONDS")
    max_occupancy: float | None = Field(
        default=None, description="AVAILABILITY_MAX_OCCUPANCY (None: no cap)"
    )
    profile_weeks: int = Field(default=4, description="AVAILABILITY_PROFILE_WEEKS")

    def settings(self) -> DemandSettings:
        return DemandSettings(
            service_level=self.service_level,
            target_seconds=self.target_seconds,
            max_occupancy=self.max_occupancy,
            profile_weeks=self.profile_weeks,
        )


def kore_resource_from_env() -> KoreResource:
    """Optional tuning is parsed now, so a bad value names its variable when the code location
    loads; the connection settings (secret included) are left to run time."""
    tuning = {}
    for name, target in KORE_FIELDS.items():
        variable = KoreSettings.ENV_NAMES[target]
        if name not in CONNECTION and settings.is_set(variable):
            tuning[name] = settings.get(variable)
    return KoreResource(**tuning)


def scopes_resource_from_env() -> ScopesResource:
    return ScopesResource(path=settings.get("AVAILABILITY_SCOPES"))


def warehouse_resource_from_env() -> WarehouseResource:
    return WarehouseResource(
        database=settings.get("AVAILABILITY_DB"), pii_mode=settings.get("AVAILABILITY_PII")
    )


def coverage_resource_from_env() -> CoverageResource:
    grid = coverage.CoverageSettings.from_env()
    return CoverageResource(
        time_zone=grid.time_zone,
        interval_minutes=grid.interval_minutes,
        max_gap_seconds=grid.max_gap_seconds,
        targets_file=settings.get("AVAILABILITY_TARGETS_FILE") or "",
        forecast_file=settings.get("AVAILABILITY_FORECAST_FILE") or "",
        schedules_file=settings.get("AVAILABILITY_SCHEDULES_FILE") or "",
        completeness_threshold=settings.get("AVAILABILITY_COMPLETENESS_THRESHOLD"),
        max_unmet_share=settings.get("AVAILABILITY_MAX_UNMET_SHARE"),
        nonproductive_busy=settings.get("AVAILABILITY_NONPRODUCTIVE_BUSY"),
        reconciliation_threshold=settings.get("AVAILABILITY_RECONCILIATION_THRESHOLD"),
    )


def demand_resource_from_env() -> DemandResource:
    found = DemandSettings.from_env()
    return DemandResource(
        service_level=found.service_level,
        target_seconds=found.target_seconds,
        max_occupancy=found.max_occupancy,
        profile_weeks=found.profile_weeks,
    )
