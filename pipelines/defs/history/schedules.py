"""The status history job: one closed local day of Kore.ai's exact status history, for a fetch
by hand (the Launchpad, or a backfill over days before the first poll). The nightly fetch is
part of the finalize job in ``pipelines/defs/coverage/schedules.py``: yesterday's history
first, then its rebuild, in one run."""

from dagster import AssetSelection, define_asset_job

from pipelines.defs.history.assets import agent_status_history

history_job = define_asset_job(
    "fetch_status_history",
    selection=AssetSelection.assets(agent_status_history),
    description="Fetch one closed local day of Kore.ai's exact status history.",
)
