"""Ticks: what one poll asks Kore.ai and lands in DuckDB.

:func:`poll` picks the acquisition (``acquire``): a membership tick (``membership``: one
availability request for every agent, membership from Kore's listing) or a per-scope tick
(``per_scope``: one request per scope). :func:`sync_volume` fetches Kore's contact volume
(``volume``) since its watermark; :func:`sync_history` Kore's exact status history of
closed days (``history``). Shared by the Dagster asset, the demo and the
benchmarks, so all three exercise the same path.
"""

from pipelines.polling.acquire import MODES, poll
from pipelines.polling.history import HistoryOutcome, HistorySettings, sync_history
from pipelines.polling.membership import Cadence, ListingRefused, run_membership_tick
from pipelines.polling.per_scope import (
    TickOutcome,
    agent_statuses,
    choose_scopes,
    landing_frame,
    open_planner,
    run_tick,
    sends_frame,
    status_counts,
    status_rank,
)
from pipelines.polling.volume import VolumeOutcome, VolumeSettings, sync_volume

__all__ = [
    "MODES",
    "Cadence",
    "HistoryOutcome",
    "HistorySettings",
    "ListingRefused",
    "TickOutcome",
    "VolumeOutcome",
    "VolumeSettings",
    "agent_statuses",
    "choose_scopes",
    "landing_frame",
    "open_planner",
    "poll",
    "run_membership_tick",
    "run_tick",
    "sends_frame",
    "status_counts",
    "status_rank",
    "sync_history",
    "sync_volume",
]
