"""Ingest stage: poll Kore.ai's availability endpoint into DuckDB snapshots."""

import pandas as pd
from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from pipelines.defs.common import DUCKDB_POOL
from pipelines.kore import KoreConfigError
from pipelines.markdown import markdown_table
from pipelines.polling import TickOutcome, poll
from pipelines.resources import KoreResource, ScopesResource, WarehouseResource

# The schedule slot of a scheduled run: Dagster 1.13's scheduler writes the hidden tag
# (`.dagster/…`); the unprefixed name is kept for runs tagged by hand the older way.
SLOT_TAGS = (".dagster/scheduled_execution_time", "dagster/scheduled_execution_time")


def tick_id_for(context: AssetExecutionContext) -> str:
    """Deterministic per schedule slot or per run lineage, so a re-run replaces its tick."""
    scheduled = next((context.run.tags[t] for t in SLOT_TAGS if t in context.run.tags), None)
    if scheduled:
        return f"sched-{scheduled}"
    return f"run-{context.run.root_run_id or context.run.run_id}"


def tick_metadata(outcome: TickOutcome) -> dict[str, object]:
    latencies = [r.latency_ms for r in outcome.results if r.latency_ms is not None]
    failed = pd.DataFrame(
        {
            "scope": [r.scope_key for r in outcome.failed],
            "kind": [r.error_kind for r in outcome.failed],
            "http_status": [r.http_status for r in outcome.failed],
            "attempts": [r.attempts for r in outcome.failed],
            "error": [(r.error_text or "")[:200] for r in outcome.failed],
        }
    )
    return {
        "tick_id": outcome.tick.tick_id,
        "failed_scope_keys": [r.scope_key for r in outcome.failed],
        "rows_written": MetadataValue.int(outcome.counts["snapshot_rows"]),
        "scopes_asked": MetadataValue.int(outcome.counts["scopes_asked"]),
        "scopes_ok": MetadataValue.int(outcome.counts["scopes_ok"]),
        "scopes_failed": MetadataValue.int(outcome.counts["scopes_failed"]),
        "scopes_deferred": MetadataValue.int(outcome.counts["scopes_deferred"]),
        "failed_scopes": MetadataValue.md(markdown_table(failed)),
        "deferred_scopes": [s.key for s in outcome.deferred],
        "agents_per_status": MetadataValue.md(markdown_table(outcome.status_counts)),
        "latency_ms_median": MetadataValue.float(
            float(pd.Series(latencies).median()) if latencies else 0.0
        ),
        "latency_ms_max": MetadataValue.float(max(latencies) if latencies else 0.0),
        **acquisition_metadata(outcome),
    }


_PRIORITY_NAMES = {0: "availability", 1: "membership", 2: "drift check", 3: "later"}


def acquisition_metadata(outcome: TickOutcome) -> dict[str, object]:
    """How the tick acquired: the mode, the account's requests in the last minute by
    priority, and what a membership tick did besides its one availability request."""
    details = outcome.details
    used = details.get("requests", {})
    metadata: dict[str, object] = {
        "mode": outcome.mode,
        "requests_last_minute": MetadataValue.json(
            {_PRIORITY_NAMES.get(p, str(p)): n for p, n in sorted(used.items())}
        ),
    }
    if "fallback" in details:
        metadata["fallback"] = details["fallback"]
    if "scopes" in details:
        metadata["scopes_covered"] = MetadataValue.int(details["scopes"])
    membership = details.get("membership")
    if membership:
        metadata["membership_refresh"] = MetadataValue.json(
            {k: v for k, v in membership.items() if k != "discovery"}
        )
        discovery = membership.get("discovery")
        if discovery:
            metadata["discovered_scopes"] = MetadataValue.json(discovery)
    if details.get("drift_check"):
        metadata["drift_check"] = MetadataValue.json(details["drift_check"])
    return metadata


@asset(
    group_name="ingest",
    kinds={"duckdb", "python"},
    pool=DUCKDB_POOL,
    description=(
        "One tick of Kore.ai 'Check Agent Availability Status': in membership mode one request "
        "for every agent (per skill and queue through Kore's membership listing), else one "
        "request per scope; the raw answers landed in raw_responses, normalized rows in "
        "snapshots, agents and channel_capacity, and the tick in ticks."
    ),
)
def availability_snapshots(
    context: AssetExecutionContext,
    kore: KoreResource,
    scopes: ScopesResource,
    warehouse: WarehouseResource,
) -> MaterializeResult:
    try:
        settings = kore.settings()
    except KoreConfigError as exc:
        # A setting to fix, not a bug: say which, without a traceback to dig through.
        raise Failure(description=str(exc), allow_retries=False) from None
    try:
        outcome = poll(
            warehouse.connection,
            settings,
            scopes.path,
            tick_id=tick_id_for(context),
            run_id=context.run.run_id,
            pii=warehouse.pii_policy(),
        )
    except KoreConfigError as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    metadata = tick_metadata(outcome)
    if "fallback" in outcome.details:
        context.log.warning(outcome.details["fallback"])
    for result in outcome.failed:
        context.log.warning(f"scope {result.scope_key} failed: {result.error_text}")
    if outcome.results and len(outcome.failed) == len(outcome.results):
        first = outcome.failed[0]
        raise Failure(
            description=(
                f"every scope failed in tick {outcome.tick.tick_id} (landed in raw_responses); "
                f"first error: {first.error_text}"
            ),
            metadata=metadata,
        )
    # Some scopes failed but others landed: the run succeeds (their data is in), the failed
    # scopes are in the metadata and the last_tick_scopes_succeeded check fails (a warning).
    return MaterializeResult(metadata=metadata)
