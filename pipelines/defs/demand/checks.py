"""Checks of contact volume: counts that add up, no hole between fetched windows, one unit;
with an accounts file, in every account's own file (a row per account)."""

from datetime import UTC, datetime, timedelta

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from pipelines.defs.demand.assets import contact_volume
from pipelines.defs.per_account import check_every_account
from pipelines.markdown import markdown_table
from pipelines.resources import WarehouseResource
from pipelines.warehouse import fetch_df

# A contact offered near an interval's end may be answered or abandoned in the next one.
BALANCE_TOLERANCE_CONTACTS = 2
BALANCE_TOLERANCE_SHARE = 0.10
BALANCE_DAYS = 7


@asset_check(asset=contact_volume, blocking=False)
def offered_is_answered_plus_abandoned(warehouse: WarehouseResource) -> AssetCheckResult:
    """Queue rows of the last 7 days: offered = answered + abandoned, within the larger of
    2 contacts and 10 % of offered."""
    return check_every_account(warehouse, _balanced)


def _balanced(warehouse: WarehouseResource) -> AssetCheckResult:
    since = datetime.now(UTC) - timedelta(days=BALANCE_DAYS)
    with warehouse.connection(read_only=True) as con:
        off = fetch_df(
            con,
            "checks/volume_balance.sql",
            since=since,
            tolerance_contacts=BALANCE_TOLERANCE_CONTACTS,
            tolerance_share=BALANCE_TOLERANCE_SHARE,
        )
    return AssetCheckResult(
        passed=off.empty,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "rows_off": MetadataValue.int(len(off)),
            "examples": MetadataValue.md(markdown_table(off.head(20))),
        },
    )


@asset_check(asset=contact_volume)
def fetched_windows_have_no_gap(warehouse: WarehouseResource) -> AssetCheckResult:
    """Every completed sync window starts at or before the end of the ones before it."""
    return check_every_account(warehouse, _no_gap)


def _no_gap(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.connection(read_only=True) as con:
        gaps = fetch_df(con, "checks/volume_windows.sql")
    return AssetCheckResult(
        passed=gaps.empty,
        metadata={
            "gaps": MetadataValue.int(len(gaps)),
            "holes": MetadataValue.md(markdown_table(gaps.head(20))),
        },
    )


@asset_check(asset=contact_volume, blocking=False)
def time_unit_is_consistent(warehouse: WarehouseResource) -> AssetCheckResult:
    """One time unit per account and level (queue rows, skill rows): a page read in another
    unit than the rest (an ambiguous page given the fallback, say) is worth a look."""
    return check_every_account(warehouse, _one_unit)


def _one_unit(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.connection(read_only=True) as con:
        units = fetch_df(con, "checks/volume_units.sql")
    per_level = units.groupby(["account_id", "level"])["time_unit"].nunique()
    mixed = [f"{account} {level}" for (account, level), n in per_level.items() if n > 1]
    return AssetCheckResult(
        passed=not mixed,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "mixed_levels": mixed,
            "units": MetadataValue.md(markdown_table(units)),
        },
    )
