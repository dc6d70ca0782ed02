"""The retention resource, bound to the settings (AVAILABILITY_RAW_RETENTION_*,
AVAILABILITY_RUN_RETENTION_DAYS), beside the stage that uses it."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster import ConfigurableResource
from pydantic import Field, PrivateAttr

from pipelines import settings
from pipelines.accounts import Account
from pipelines.retention import RawRetention

__all__ = ["RetentionResource", "retention_resource_from_env"]


class RetentionResource(ConfigurableResource):
    """How long raw bodies and Dagster runs are kept, and where archived bodies go."""

    raw_days: int = Field(default=14, description="AVAILABILITY_RAW_RETENTION_DAYS")
    mode: str = Field(default="archive", description="AVAILABILITY_RAW_RETENTION_MODE")
    archive_dir: str = Field(
        default="", description="AVAILABILITY_RAW_ARCHIVE_DIR ('' = archive/ beside the DB)"
    )
    run_days: int = Field(default=14, description="AVAILABILITY_RUN_RETENTION_DAYS")
    time_zone: str = Field(default="UTC", description="AVAILABILITY_TIME_ZONE (local days)")
    _account: str | None = PrivateAttr(default=None)

    def for_account(self, account: Account) -> RetentionResource:
        """Retention of one account of an accounts file: days are its local days, and its
        bodies are archived under ``<archive folder>/<account>/``, so two accounts' Parquet
        files never share a folder (a departing client's archive is one folder, like its
        DuckDB file). The implicit account keeps the single-account layout."""
        if account.implicit:
            return self
        fields = {**self.model_dump(), "time_zone": account.time_zone or self.time_zone}
        bound = type(self)(**fields)
        bound._account = account.name
        return bound

    def raw_policy(self, database: str) -> RawRetention:
        """The raw-body policy; the archive folder defaults to ``archive/`` beside the file."""
        folder = Path(self.archive_dir) if self.archive_dir else Path(database).parent / "archive"
        if self._account is not None:
            folder = folder / self._account
        return RawRetention(
            days=self.raw_days,
            time_zone=self.time_zone,
            mode=self.mode,
            archive_dir=folder,
        )


def retention_resource_from_env() -> RetentionResource:
    folder = settings.get("AVAILABILITY_RAW_ARCHIVE_DIR")
    return RetentionResource(
        raw_days=settings.get("AVAILABILITY_RAW_RETENTION_DAYS"),
        mode=settings.get("AVAILABILITY_RAW_RETENTION_MODE"),
        archive_dir=str(folder) if folder else "",
        run_days=settings.get("AVAILABILITY_RUN_RETENTION_DAYS"),
        time_zone=settings.get("AVAILABILITY_TIME_ZONE"),
    )


@dg.definitions
def maintenance_resources() -> dg.Definitions:
    return dg.Definitions(resources={"retention": retention_resource_from_env()})
