"""The settings of Kore's endpoints beyond availability: contact volume and exact status history.

Declared here only to keep :mod:`pipelines.settings_declared` (the one table, which lists these
in their place) short; the same rules hold: read and parsed only by :mod:`pipelines.settings`.
"""

from __future__ import annotations

from pipelines.settings_kinds import Setting
from pipelines.settings_kinds import declare as _s

__all__ = ["SOURCES"]

SOURCES: tuple[Setting, ...] = (
    # --- Contact volume (Kore's callvolume endpoint, demand) ---
    _s(
        "KORE_CALLVOLUME_TIME_UNIT",
        "choice",
        "auto",
        "unit of callvolume times: auto (detected from handle time), seconds, milliseconds",
        choices=("auto", "seconds", "milliseconds"),
    ),
    _s(
        "KORE_CALLVOLUME_AMBIGUOUS_UNIT",
        "choice",
        "milliseconds",
        "the unit when auto cannot tell (mean handle time between 2,000 and 20,000)",
        choices=("seconds", "milliseconds"),
    ),
    _s(
        "KORE_CALLVOLUME_FIRST_SYNC_DAYS",
        "int",
        28,
        "days of contact volume the first sync fetches",
        minimum=1,
        maximum=366,
    ),
    _s(
        "KORE_CALLVOLUME_RESTATEMENT_HOURS",
        "float",
        2.0,
        "each sync re-reads this much before the watermark (late restatements)",
        minimum=0,
        maximum=168,
    ),
    _s(
        "KORE_CALLVOLUME_PAGE_SIZE",
        "int",
        100,
        "callvolume rows asked per page (limit)",
        minimum=1,
        maximum=1000,
    ),
    _s(
        "KORE_CALLVOLUME_PAGES_PER_RUN",
        "int",
        40,
        "callvolume pages one run may fetch; the rest resumes next run",
        minimum=1,
        maximum=1000,
    ),
    _s(
        "KORE_CALLVOLUME_SKILL_BREAKDOWN",
        "bool",
        True,
        "ask callvolume for per-skill rows (includeSkillBreakdown)",
    ),
    _s("KORE_CALLVOLUME_CRON", "cron", "*/15 * * * *", "contact volume sync schedule (UTC)"),
    # --- Exact status history (Agent Status Details v3) ---
    _s(
        "KORE_STATUS_HISTORY_ENABLED",
        "bool",
        True,
        "the nightly finalize fetches yesterday's exact status history first (false: an app "
        "without the SmartAssist Analytics scope; days stay provisional)",
    ),
    _s(
        "KORE_STATUS_HISTORY_ASK",
        "choice",
        "utc",
        "how a local day is asked: utc (offset 0, the UTC dates it touches) or local_noon",
        choices=("utc", "local_noon"),
    ),
    _s(
        "KORE_STATUS_HISTORY_DATE_FIELD",
        "choice",
        "range",
        "dateFilter fields sent: range (startDate/endDate) or date (the docs' sample)",
        choices=("range", "date"),
    ),
    _s(
        "KORE_STATUS_HISTORY_PAGE_SIZE",
        "int",
        50,
        "agents asked per status details page (limit)",
        minimum=1,
        maximum=50,
    ),
    _s(
        "KORE_STATUS_HISTORY_PAGES_PER_RUN",
        "int",
        60,
        "status details pages one run may fetch; the rest resumes next run",
        minimum=1,
        maximum=1000,
    ),
    _s(
        "KORE_STATUS_HISTORY_DAYS_BACK",
        "int",
        7,
        "closed days back the history sync looks for missing ones",
        minimum=1,
        maximum=366,
    ),
)
