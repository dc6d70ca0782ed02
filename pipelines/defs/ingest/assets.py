"""Ingest stage: poll Kore.ai's availability endpoint into DuckDB snapshots."""

from dagster import AssetExecutionContext, Failure, MaterializeResult, asset

from pipelines import accounts
from pipelines.accounts import Account, AccountsFileError
from pipelines.defs.common import DUCKDB_POOL
from pipelines.defs.ingest.metadata import accounts_metadata, landed, tick_metadata
from pipelines.defs.per_account import for_every_account
from pipelines.kore import KoreConfigError
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
        served = accounts.configured()
    except AccountsFileError as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    tick_id = tick_id_for(context)

    def tick_of(account: Account) -> TickOutcome:
        return poll_account(account, kore, scopes, warehouse, tick_id, context.run.run_id)

    if not accounts.is_multi():
        try:
            return one_account(context, tick_of(served[0]))
        except KoreConfigError as exc:
            # A setting to fix, not a bug: say which, without a traceback to dig through.
            raise Failure(description=str(exc), allow_retries=False) from None
    ticks = for_every_account(tick_of, served)
    metadata = accounts_metadata(ticks)
    for tick in ticks:
        name = tick.account.name
        if tick.error:
            context.log.warning(f"account {name} did not poll: {tick.error}")
        for result in tick.value.failed if tick.value else []:
            context.log.warning(f"account {name}, scope {result.scope_key} failed")
    if not any(landed(tick) for tick in ticks):
        raise Failure(
            description=f"no account landed tick {tick_id}; see the accounts table",
            metadata=metadata,
        )
    # Accounts that failed are in the metadata and fail the every_account_polled check.
    return MaterializeResult(metadata=metadata)


def poll_account(
    account: Account,
    kore: KoreResource,
    scopes: ScopesResource,
    warehouse: WarehouseResource,
    tick_id: str,
    run_id: str | None = None,
) -> TickOutcome:
    """One account's tick into its own file, with its own credentials, scopes and ledger."""
    bound = warehouse.for_account(account)
    return poll(
        bound.connection,
        kore.for_account(account).settings(),
        scopes.for_account(account).path,
        tick_id=tick_id,
        run_id=run_id,
        pii=bound.pii_policy(),
    )


def one_account(context: AssetExecutionContext, outcome: TickOutcome) -> MaterializeResult:
    """The tick of a deployment serving one account: its figures, its failed scopes."""
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
