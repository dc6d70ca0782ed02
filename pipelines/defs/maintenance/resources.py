"""The retention resource, bound to the settings (AVAILABILITY_RAW_RETENTION_*,
AVAILABILITY_RUN_RETENTION_DAYS), beside the stage that uses it."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster import ConfigurableResource
from pydantic import Field

from pipelines import settings
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

    def raw_policy(self, database: str) -> RawRetention:
        """The raw-body policy; the archive folder defaults to ``archive/`` beside the file."""
        folder = Path(self.archive_dir) if self.archive_dir else Path(database).parent / "archive"
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
