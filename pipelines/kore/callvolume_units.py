"""Which unit Contact Volume's times are in, and the rows in seconds.

Kore's page describes queue-level times in seconds and skill-level times in milliseconds,
while its sample's values look like milliseconds at both levels. So the unit is decided per
level (queue rows, skill rows) and per page, from the data where it can be:

    mean handle time per answered contact = sum(conversationHandleTime) / sum(answeredContacts)
    over the page's rows of that level with answered contacts and a handle time

* mean >= 20,000: **milliseconds**. Read as seconds it would be 5.6 hours or more per contact,
  which no voice, chat or e-mail handle time is; as milliseconds it is 20 s or more.
* 0 < mean <= 2,000: **seconds**. Read as milliseconds it would be 2 s or less per contact,
  less than any handled contact takes; as seconds it is up to 33 minutes.
* 2,000 < mean < 20,000 is the **ambiguous zone** (33 min to 5.6 h as seconds, 2 to 20 s as
  milliseconds), and a page without answered contacts (a night) has no evidence. Both take the
  unit detected last for the account and level, if any (the unit is the tenant's, not the
  page's), else KORE_CALLVOLUME_AMBIGUOUS_UNIT (default milliseconds, as the sample and the
  skill-level text say), recorded as set, not detected.
* Evidence from fewer than 10 answered contacts (one odd 1-second call at dawn) does not
  overrule a unit detected before for the account and level; it is used only when nothing
  was detected yet.

KORE_CALLVOLUME_TIME_UNIT=seconds|milliseconds skips detection for both levels. Every row
records the unit used (``time_unit``) and whether it was ``detected`` or came from a
``setting`` (``unit_basis``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from pipelines.kore.callvolume import COUNT_FIELDS, TIME_FIELDS, VolumeRow

__all__ = [
    "AMBIGUOUS_ABOVE",
    "LEVELS",
    "MILLISECONDS",
    "MILLISECONDS_FROM",
    "MIN_ANSWERED",
    "SECONDS",
    "VOLUME_COLUMNS",
    "UnitChoice",
    "choose_unit",
    "evidence",
    "mean_handle",
    "unit_from_mean",
    "volume_frame",
]

SECONDS = "seconds"
MILLISECONDS = "milliseconds"
LEVELS = ("queue", "skill")
AMBIGUOUS_ABOVE = 2_000.0  # a mean at or below this is seconds
MILLISECONDS_FROM = 20_000.0  # a mean at or above this is milliseconds
MIN_ANSWERED = 10  # fewer answered contacts on a page do not overrule an earlier detection

# contact_volume's columns (migration 007), in order; times in seconds.
VOLUME_COLUMNS = (
    "account_id",
    "queue_id",
    "skill_id",
    "interval_start",
    "interval_end",
    "queue_name",
    "skill_name",
    "offered",
    "answered",
    "abandoned",
    "completed",
    "handle_seconds",
    "talk_seconds",
    "acw_seconds",
    "hold_seconds",
    "wait_answered_seconds",
    "wait_abandoned_seconds",
    "max_wait_answered_seconds",
    "max_wait_abandoned_seconds",
    "time_unit",
    "unit_basis",
    "source",
    "fetched_at",
)
_TIME_COLUMNS = {key: f"{key}_seconds" for key in TIME_FIELDS}


@dataclass(frozen=True)
class UnitChoice:
    """The unit used for one level of one page, and why: ``basis`` is "detected" or "setting";
    ``mean_handle`` is the evidence (None: none on the page)."""

    unit: str
    basis: str
    mean_handle: float | None = None


def evidence(rows: Iterable[VolumeRow]) -> tuple[float | None, int]:
    """Handle time per answered contact over ``rows`` (source unit; None without evidence)
    and the answered contacts it is taken over."""
    handle = 0.0
    answered = 0
    for row in rows:
        count, total = row.counts.get("answered"), row.times.get("handle")
        if count and total is not None:
            answered += count
            handle += total
    if answered == 0 or handle <= 0:
        return None, 0
    return handle / answered, answered


def mean_handle(rows: Iterable[VolumeRow]) -> float | None:
    """Handle time per answered contact over ``rows`` (source unit); None without evidence."""
    return evidence(rows)[0]


def unit_from_mean(mean: float | None) -> str | None:
    """The unit a mean handle time tells, or None (no evidence, or the ambiguous zone)."""
    if mean is None:
        return None
    if mean >= MILLISECONDS_FROM:
        return MILLISECONDS
    if mean <= AMBIGUOUS_ABOVE:
        return SECONDS
    return None


def choose_unit(
    rows: Iterable[VolumeRow],
    setting: str,
    fallback: str,
    previous: str | None = None,
) -> UnitChoice:
    """The unit for ``rows`` (one level of one page).

    ``setting`` is KORE_CALLVOLUME_TIME_UNIT, ``fallback`` KORE_CALLVOLUME_AMBIGUOUS_UNIT and
    ``previous`` the unit last detected for the account and level (None: never).
    """
    if setting in (SECONDS, MILLISECONDS):
        return UnitChoice(setting, "setting")
    mean, answered = evidence(rows)
    told = unit_from_mean(mean)
    if told is not None and (answered >= MIN_ANSWERED or previous is None):
        return UnitChoice(told, "detected", mean)
    if previous is not None:
        return UnitChoice(previous, "detected", mean)
    return UnitChoice(fallback, "setting", mean)


def volume_frame(
    rows: Iterable[VolumeRow],
    units: Mapping[str, UnitChoice],
    account_id: str,
    fetched_at: datetime,
) -> pd.DataFrame:
    """contact_volume rows (times in seconds) for ``rows``, each level in its unit. A key sent
    twice on one page keeps its last row."""
    latest: dict[tuple[str, str, datetime], VolumeRow] = {}
    for row in rows:
        latest[(row.queue_id, row.skill_id, row.interval_start)] = row
    kept = list(latest.values())
    columns: dict[str, object] = {
        "account_id": pd.array([account_id] * len(kept), dtype="string"),
        "queue_id": pd.array([r.queue_id for r in kept], dtype="string"),
        "skill_id": pd.array([r.skill_id for r in kept], dtype="string"),
        "interval_start": pd.to_datetime([r.interval_start for r in kept], utc=True),
        "interval_end": pd.to_datetime([r.interval_end for r in kept], utc=True),
        "queue_name": pd.array([r.queue_name for r in kept], dtype="string"),
        "skill_name": pd.array([r.skill_name for r in kept], dtype="string"),
    }
    for key in COUNT_FIELDS:
        columns[key] = pd.array([r.counts[key] for r in kept], dtype="Int64")
    divisor = {
        level: 1000.0 if units[level].unit == MILLISECONDS else 1.0
        for level in LEVELS
        if level in units
    }
    for key, column in _TIME_COLUMNS.items():
        values = [None if r.times[key] is None else r.times[key] / divisor[r.level] for r in kept]
        columns[column] = pd.array(values, dtype="Float64")
    columns["time_unit"] = pd.array([units[r.level].unit for r in kept], dtype="string")
    columns["unit_basis"] = pd.array([units[r.level].basis for r in kept], dtype="string")
    columns["source"] = pd.array([r.source for r in kept], dtype="string")
    columns["fetched_at"] = pd.to_datetime([fetched_at] * len(kept), utc=True)
    return pd.DataFrame(columns)[list(VOLUME_COLUMNS)]
