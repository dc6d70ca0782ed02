"""Coverage stage: status spans, the interval grid, requirements, and coverage against them.

Every asset here is partitioned by LOCAL day in the reporting time zone (a DST day has 92 or
100 quarter hours), so a backfill over a date range recomputes history; each partition is
replaced in one transaction. Their checks are in checks.py beside this module.
"""

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines import coverage
from pipelines.coverage.finalized import DayBasis, day_basis, identity, reconciliation
from pipelines.defs.common import COVERAGE_ASSET, partition_day
from pipelines.defs.history.assets import agent_status_history
from pipelines.defs.ingest.assets import availability_snapshots
from pipelines.markdown import markdown_table
from pipelines.report import summary_markdown
from pipelines.resources import CoverageResource, WarehouseResource
from pipelines.warehouse import fetch_all, fetch_df


@asset(
    # The exact history of the day, when complete, replaces the polls ("finalized"); as a dep
    # it orders the nightly finalize (history first, then the rebuild).
    deps=[availability_snapshots, agent_status_history],
    description=(
        "Per (agent, scope): consecutive spans of one status; from the exact status history "
        "when the day's history is complete (finalized), else from polls (provisional), "
        "unobserved time excluded."
    ),
    **COVERAGE_ASSET,
)
def agent_status_spans(
    context: AssetExecutionContext, warehouse: WarehouseResource, coverage_config: CoverageResource
) -> MaterializeResult:
    day = partition_day(context)
    settings = coverage_config.settings()
    with warehouse.connection() as con:
        rows = coverage.build_spans(con, day, settings)
        preview = fetch_df(con, "metadata/spans_by_status.sql", day=day)
        basis = day_basis(con, day)
        agents = identity(con, day) if basis.finalized else None
    return MaterializeResult(
        metadata={
            "day": day.isoformat(),
            "row_count": MetadataValue.int(rows),
            **basis_metadata(basis),
            # history agents joined to the agents listing by agent_id (aId = the listing's id)
            **({"history_agents": MetadataValue.json(agents)} if agents else {}),
            "hours_by_status": MetadataValue.md(markdown_table(preview)),
        }
    )


def basis_metadata(basis: DayBasis) -> dict[str, object]:
    """The day's basis: 'finalized' (every scope from exact history), 'provisional' or 'partly
    finalized', with the scopes of each."""
    return {
        "basis": basis.label,
        "scopes_finalized": MetadataValue.int(basis.finalized),
        "scopes_provisional": MetadataValue.int(basis.provisional),
        "membership_before_first_listing": basis.before_first_listing,
    }


@asset(
    deps=[agent_status_spans],
    description=(
        "Every scope x every interval of the day: time-weighted agents per status, staffed, "
        "min/max available, occupancy, zero-available share, completeness."
    ),
    **COVERAGE_ASSET,
)
def coverage_intervals(
    context: AssetExecutionContext, warehouse: WarehouseResource, coverage_config: CoverageResource
) -> MaterializeResult:
    day = partition_day(context)
    settings = coverage_config.settings()
    with warehouse.connection() as con:
        rows = coverage.build_coverage(con, day, settings)
        ((observed,),) = fetch_all(con, "metadata/intervals_observed.sql", day=day)
        basis = day_basis(con, day)
        reconciled = reconciliation(con, day)
    return MaterializeResult(
        metadata={
            "day": day.isoformat(),
            "row_count": MetadataValue.int(rows),
            "intervals_per_scope": MetadataValue.int(coverage.interval_count(day, settings)),
            "mean_observed_share": MetadataValue.float(round(float(observed or 0.0), 4)),
            **basis_metadata(basis),
            **completeness_metadata(reconciled),
        }
    )


def completeness_metadata(reconciled: pd.DataFrame) -> dict[str, object]:
    """Completeness before finalization (cells the polls saw) and after (cells covered), the
    cells history repaired, and per scope the polls' difference from the exact figures."""
    totals = reconciled[["cells", "cells_polled", "cells_covered", "cells_repaired"]].sum()
    shown = reconciled[
        [
            "scope_key",
            "basis",
            "cells",
            "cells_polled",
            "cells_covered",
            "cells_repaired",
            "cells_compared",
            "mae_available",
            "mae_available_share",
            "mae_on_queue_share",
        ]
    ].round(4)
    return {
        "cells_started": MetadataValue.int(int(totals["cells"])),
        "cells_observed_by_polls": MetadataValue.int(int(totals["cells_polled"])),
        "cells_covered": MetadataValue.int(int(totals["cells_covered"])),
        "cells_repaired_from_history": MetadataValue.int(int(totals["cells_repaired"])),
        "reconciliation": MetadataValue.md(markdown_table(shown)),
    }


@asset(
    # By key: the demand stage imports coverage_intervals from here.
    deps=[AssetKey("demand_requirements")],
    description=(
        "Required on-queue agents per scope and interval: the targets file, else the forecast "
        "file, else demand computed from Kore's contact volume, else the profile forecast; "
        "agents scheduled (staffing_schedules) from the schedules file."
    ),
    **COVERAGE_ASSET,
)
def staffing_requirements(
    context: AssetExecutionContext, warehouse: WarehouseResource, coverage_config: CoverageResource
) -> MaterializeResult:
    day = partition_day(context)
    with warehouse.connection() as con:
        known = [key for (key,) in fetch_all(con, "metadata/scope_keys.sql")]
        rules = coverage_config.rules(known)
        rows = coverage.build_requirements(con, day, coverage_config.settings(), rules)
        scheduled = coverage.build_schedules(
            con, day, coverage_config.settings(), coverage_config.schedules(known)
        )
        by_source = fetch_df(con, "metadata/requirements_by_source.sql", day=day)
    return MaterializeResult(
        metadata={
            "day": day.isoformat(),
            "row_count": MetadataValue.int(rows),
            "rules": MetadataValue.int(len(rules)),
            "targets_file": coverage_config.targets_file or "(none)",
            "forecast_file": coverage_config.forecast_file or "(none)",
            "schedules_file": coverage_config.schedules_file or "(none)",
            "scheduled_cells": MetadataValue.int(scheduled),
            "cells_by_source": MetadataValue.md(markdown_table(by_source)),
        }
    )


@asset(
    deps=[coverage_intervals, staffing_requirements],
    description="Per cell: required vs on-queue agents (net staffing), idle available, "
    "logged-in, scheduled, met, future; per scope and day over the judged intervals: share "
    "met, shortfall and surplus agent-hours, worst interval.",
    **COVERAGE_ASSET,
)
def coverage_vs_requirement(
    context: AssetExecutionContext, warehouse: WarehouseResource, coverage_config: CoverageResource
) -> MaterializeResult:
    day = partition_day(context)
    settings = coverage_config.settings()
    with warehouse.connection() as con:
        rows = coverage.build_coverage_vs_requirement(con, day, settings)
        summary = coverage.summary_table(con, day)
        basis = day_basis(con, day)
    return MaterializeResult(
        metadata={
            "day": day.isoformat(),
            "row_count": MetadataValue.int(rows),
            "basis": basis.label,
            "scopes": MetadataValue.int(len(summary)),
            "summary": MetadataValue.md(summary_markdown(summary)),
        }
    )
