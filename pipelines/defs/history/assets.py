"""History stage: one closed local day of Kore.ai's Agent Status Details, landed in
agent_status_history (exact spans, with their custom status names) for finalized coverage,
gap repair and backfill to build on."""

import time
from dataclasses import replace

from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from pipelines.defs.common import account_zone, coverage_partitions, partition_day
from pipelines.kore import KoreConfigError
from pipelines.polling import HistoryOutcome, HistorySettings, sync_history
from pipelines.polling.summary_check import check_day
from pipelines.resources import KoreResource, WarehouseResource
from pipelines.settings import SettingsError
from pipelines.warehouse.history import day_summary
from pipelines.warehouse.pii import PiiConfigError

MAX_PAGES = 1000  # 50,000 agents: a materialization finishes its day


def history_metadata(outcome: HistoryOutcome, stored: dict[str, object]) -> dict[str, object]:
    """Pages, agents, spans, requests, the assumptions the pages were read under, and what the
    day holds now."""
    return {
        "pages": MetadataValue.int(outcome.pages),
        "agents": MetadataValue.int(outcome.agents),
        "spans": MetadataValue.int(outcome.spans),
        "requests": MetadataValue.int(outcome.requests),
        "duration_disagreements": MetadataValue.int(outcome.disagreements),
        "stopped": outcome.stopped,
        "resumed": bool(outcome.resumed),
        "assumptions": MetadataValue.json({**outcome.assumptions, **outcome.counts}),
        "stored_spans": MetadataValue.int(int(stored["spans"])),  # type: ignore[call-overload]
        "stored_agents": MetadataValue.int(int(stored["agents"])),  # type: ignore[call-overload]
        "completed_at": str(stored["completed_at"] or "not complete"),
    }


@asset(
    group_name="history",
    kinds={"duckdb", "python"},
    partitions_def=coverage_partitions,
    # Not in the duckdb_writer pool, like contact_volume: each page is one short transaction
    # and the run mostly waits on Kore at the lowest priority of the request planner.
    description=(
        "Kore.ai 'Agent Status Details' v3 (API scope SmartAssist Analytics) for one CLOSED "
        "local day: every agent's exact status spans (bucket and custom status name), "
        "50 agents a page at the request planner's lowest priority, resumable by offset; the "
        "day's rows are replaced whole once a page says hasMore = false. Raw pages and the "
        "assumptions they were read under are kept in status_history_pages."
    ),
)
def agent_status_history(
    context: AssetExecutionContext, kore: KoreResource, warehouse: WarehouseResource
) -> MaterializeResult:
    day = partition_day(context)
    try:
        settings = kore.settings()
        # One explicit day: finish it, waiting for the planner's slots rather than stopping.
        history = replace(
            HistorySettings.from_env(), time_zone=account_zone(context), pages_per_run=MAX_PAGES
        )
        outcome = sync_history(
            warehouse.connection,
            settings,
            history,
            days=[day],
            run_id=context.run.run_id,
            wait_for_slot=time.sleep,
        )
    except (KoreConfigError, SettingsError, PiiConfigError) as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    with warehouse.connection() as con:
        stored = day_summary(con, settings.account_id, day)
    metadata = history_metadata(outcome, stored)
    if outcome.stopped == "not_closed":
        raise Failure(
            description=f"{day} has not ended yet: {outcome.error_text}",
            metadata=metadata,
            allow_retries=False,
        )
    if outcome.stopped != "complete":
        # A failed page is in status_history_pages with its error; budget and page_limit
        # leave the fetch open, and the next materialization resumes at its offset.
        said = f" ({outcome.error_kind}): {outcome.error_text}" if outcome.failed else ""
        raise Failure(
            description=f"status history of {day} is not complete: {outcome.stopped}{said}",
            metadata=metadata,
        )
    return MaterializeResult(metadata=metadata)


@asset(
    group_name="history",
    kinds={"duckdb", "python"},
    partitions_def=coverage_partitions,
    deps=[agent_status_history],
    description=(
        "Cross-check of one day's exact history with Kore.ai's Historical Agent Status Summary "
        "(userstatus, PT15M): per agent, interval and status, Kore's stated seconds beside the "
        "stored spans' (status_summary_checks). Not in the nightly finalize: it costs as many "
        "requests as the history itself."
    ),
)
def status_summary_check(
    context: AssetExecutionContext, kore: KoreResource, warehouse: WarehouseResource
) -> MaterializeResult:
    day = partition_day(context)
    try:
        history = replace(HistorySettings.from_env(), time_zone=account_zone(context))
        outcome = check_day(warehouse.connection, kore.settings(), history, day)
    except (KoreConfigError, SettingsError) as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    metadata = {
        "pages": MetadataValue.int(outcome.pages),
        "requests": MetadataValue.int(outcome.requests),
        "rows": MetadataValue.int(outcome.rows),
        "rows_differing": MetadataValue.int(outcome.differing),
        "users": MetadataValue.int(outcome.users),
    }
    if outcome.error_text is not None:
        raise Failure(description=f"summary of {day}: {outcome.error_text}", metadata=metadata)
    return MaterializeResult(metadata=metadata)
