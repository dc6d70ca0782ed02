"""What a tick shows in Dagster: its figures, how it acquired, and each account's part."""

import pandas as pd
from dagster import MetadataValue

from pipelines.defs.per_account import AccountRun
from pipelines.markdown import markdown_table
from pipelines.polling import TickOutcome


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


def landed(tick: AccountRun[TickOutcome]) -> bool:
    """Whether any of the account's scopes answered and landed in its file."""
    return tick.value is not None and any(r.ok for r in tick.value.results)


def accounts_metadata(ticks: list[AccountRun[TickOutcome]]) -> dict[str, object]:
    """A tick of several accounts: one row per account (what landed, what failed, why), the
    totals, and each account's figures under ``<account>/...``, so the asset's page shows
    every account's freshness and failures."""
    rows = []
    metadata: dict[str, object] = {}
    for tick in ticks:
        name, outcome = tick.account.name, tick.value
        counts = outcome.counts if outcome else {}
        rows.append(
            {
                "account": name,
                "landed": "yes" if landed(tick) else "no",
                "mode": outcome.mode if outcome else "",
                "scopes_ok": counts.get("scopes_ok", 0),
                "scopes_failed": counts.get("scopes_failed", 0),
                "scopes_deferred": counts.get("scopes_deferred", 0),
                "rows_written": counts.get("snapshot_rows", 0),
                "ended_at": tick.ended_at.isoformat(timespec="seconds"),
                "error": (tick.error or _first_error(outcome))[:300],
            }
        )
        if outcome is not None:
            metadata[f"{name}/rows_written"] = MetadataValue.int(counts["snapshot_rows"])
            metadata[f"{name}/failed_scope_keys"] = [r.scope_key for r in outcome.failed]
    table = pd.DataFrame(rows)
    return {
        "accounts": MetadataValue.md(markdown_table(table)),
        "accounts_landed": MetadataValue.int(int((table["landed"] == "yes").sum())),
        "accounts_failed": [t.account.name for t in ticks if not landed(t)],
        "rows_written": MetadataValue.int(int(table["rows_written"].sum())),
        **metadata,
    }


def _first_error(outcome: TickOutcome | None) -> str:
    failed = outcome.failed if outcome else []
    return f"{len(failed)} scope(s) failed: {failed[0].error_text}" if failed else ""
