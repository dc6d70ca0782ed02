"""Every asset, check, job, schedule and resource of the code location, top to bottom.

Load it with ``dagster dev -w workspace.yaml``. Runs execute in process (an asset and its
checks must not fight over DuckDB's single-writer file lock from separate processes), and the
assets that write DuckDB share the ``duckdb_writer`` pool, limited to 1 in dagster.yaml.
"""

from __future__ import annotations

import os

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
)

from pipelines.assets import ingest
from pipelines.resources import (
    kore_resource_from_env,
    scopes_resource_from_env,
    warehouse_resource_from_env,
)

# --- Jobs -------------------------------------------------------------------------------------
poll_job = define_asset_job(
    "poll_availability",
    selection=AssetSelection.assets(ingest.availability_snapshots),
    description="One tick: poll every scope the rate budget allows and land it in DuckDB.",
)

# --- Schedules -------------------------------------------------------------------------------
poll_schedule = ScheduleDefinition(
    name="poll_availability_every_minute",
    job=poll_job,
    cron_schedule=os.environ.get("AVAILABILITY_POLL_CRON", "* * * * *"),
    execution_timezone="UTC",
    default_status=(
        DefaultScheduleStatus.STOPPED
        if os.environ.get("AVAILABILITY_SCHEDULE_STOPPED", "").lower() in ("1", "true", "yes")
        else DefaultScheduleStatus.RUNNING
    ),
    description="Polls on AVAILABILITY_POLL_CRON (default every minute) while the daemon runs.",
)

# --- Definitions -----------------------------------------------------------------------------
defs = Definitions(
    assets=[ingest.availability_snapshots],
    asset_checks=[
        ingest.snapshots_have_no_duplicates,
        ingest.last_tick_is_fresh,
        ingest.last_tick_scopes_succeeded,
    ],
    jobs=[poll_job],
    schedules=[poll_schedule],
    resources={
        "kore": kore_resource_from_env(),
        "scopes": scopes_resource_from_env(),
        "warehouse": warehouse_resource_from_env(),
    },
    executor=in_process_executor,
)
