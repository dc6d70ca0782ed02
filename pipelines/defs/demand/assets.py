"""Demand stage: Kore.ai's Contact Volume since the watermark, landed in contact_volume."""

from collections.abc import Iterator

from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from pipelines import accounts
from pipelines.accounts import Account, AccountsFileError
from pipelines.defs.per_account import AccountRun, accounts_table, for_every_account
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
) -> Iterator[MaterializeResult]:
    if accounts.is_multi():
        yield from every_account(context, kore, warehouse)
        return
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
    yield MaterializeResult(metadata=metadata)


def every_account(
    context: AssetExecutionContext, kore: KoreResource, warehouse: WarehouseResource
) -> Iterator[MaterializeResult]:
    """Each account's contact volume, with its own credentials and budget, into its own file.

    The accounts sync side by side and one's failure stops none of the others. What landed is
    recorded (a row per account, each account's figures under ``<account>/...``); then, if any
    account failed, the run fails naming them: no check would otherwise see an account whose
    volume stopped arriving.
    """
    try:
        volume = VolumeSettings.from_env()
        served = accounts.configured()
    except (SettingsError, AccountsFileError) as exc:
        raise Failure(description=str(exc), allow_retries=False) from None

    def sync(account: Account) -> VolumeOutcome:
        bound = warehouse.for_account(account)
        settings = kore.for_account(account).settings()
        return sync_volume(bound.connection, settings, volume, run_id=context.run.run_id)

    runs = for_every_account(sync, served)
    metadata: dict[str, object] = {}
    rows = []
    for run in runs:
        name, outcome = run.account.name, run.value
        if outcome is not None:
            metadata.update({f"{name}/{k}": v for k, v in volume_metadata(outcome).items()})
        rows.append(_row(run))
    failed = [row for row in rows if row["error"]]
    for row in failed:
        context.log.error(f"account {row['account']}: contact volume sync failed: {row['error']}")
    yield MaterializeResult(
        metadata={
            "accounts": accounts_table(rows),
            "accounts_failed": [row["account"] for row in failed],
            "rows": MetadataValue.int(sum(row["rows"] for row in rows)),
            **metadata,
        }
    )
    if failed:
        raise Failure(
            description=(
                f"contact volume sync failed for {len(failed)} of {len(rows)} account(s): "
                + "; ".join(f"{row['account']}: {row['error']}" for row in failed)
            ),
            allow_retries=False,
        )


def _row(run: AccountRun[VolumeOutcome]) -> dict[str, object]:
    outcome = run.value
    error = run.error
    if outcome is not None and outcome.failed:
        error = f"{outcome.error_kind}: {outcome.error_text}"
    return {
        "account": run.account.name,
        "pages": outcome.pages if outcome else 0,
        "rows": outcome.rows if outcome else 0,
        "stopped": outcome.stopped if outcome else "error",
        "watermark": outcome.watermark.isoformat() if outcome and outcome.watermark else "",
        "error": (error or "")[:200],
    }
