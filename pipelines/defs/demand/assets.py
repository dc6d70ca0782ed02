"""Demand stage: Kore.ai's Contact Volume since the watermark, landed in contact_volume."""

from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from pipelines.kore import KoreConfigError
from pipelines.polling import VolumeOutcome, VolumeSettings, sync_volume
from pipelines.resources import KoreResource, WarehouseResource
from pipelines.settings import SettingsError


def volume_metadata(outcome: VolumeOutcome) -> dict[str, object]:
    """Pages, rows, restated rows, the units used and the watermark of one run."""
    window = outcome.window
    return {
        "pages": MetadataValue.int(outcome.pages),
        "rows": MetadataValue.int(outcome.rows),
        "restated_rows": MetadataValue.int(outcome.restated),
        "requests": MetadataValue.int(outcome.requests),
        "stopped": outcome.stopped,
        "resumed": outcome.resumed,
        "units": MetadataValue.json(
            {
                level: {"unit": c.unit, "basis": c.basis, "mean_handle": c.mean_handle}
                for level, c in sorted(outcome.units.items())
            }
        ),
        "watermark": outcome.watermark.isoformat() if outcome.watermark else "none yet",
        "window": MetadataValue.json(
            {
                "from": window.from_ts.isoformat() if window and window.from_ts else None,
                "to": window.to_ts.isoformat() if window else None,
                "first_sync": window.first_sync if window else None,
            }
        ),
    }


@asset(
    group_name="demand",
    kinds={"duckdb", "python"},
    # Not in the duckdb_writer pool: each page is one short transaction (connect() waits out
    # another writer's lock) and the run mostly waits on Kore; holding the pool's one slot for
    # that would delay the every-minute availability poll queued behind it.
    description=(
        "Kore.ai 'Contact Volume' (API scope WFM Integration): offered, answered and abandoned "
        "contacts and handle and wait time totals per queue, skill and 15-minute interval, "
        "fetched since the watermark (less KORE_CALLVOLUME_RESTATEMENT_HOURS) at the request "
        "planner's lowest priority, one page landed at a time; restated intervals replace "
        "their rows, times are stored in seconds with the unit Kore used."
    ),
)
def contact_volume(
    context: AssetExecutionContext, kore: KoreResource, warehouse: WarehouseResource
) -> MaterializeResult:
    try:
        settings = kore.settings()
        volume = VolumeSettings.from_env()
        outcome = sync_volume(warehouse.connection, settings, volume, run_id=context.run.run_id)
    except (KoreConfigError, SettingsError) as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    metadata = volume_metadata(outcome)
    if outcome.failed:
        # The page and its error are in contact_volume_pages; the window resumes next run.
        raise Failure(
            description=f"contact volume sync failed ({outcome.error_kind}): {outcome.error_text}",
            metadata=metadata,
        )
    if outcome.stopped in ("budget", "page_limit"):
        context.log.info(f"contact volume: stopped at the {outcome.stopped}; resumes next run")
    return MaterializeResult(metadata=metadata)
