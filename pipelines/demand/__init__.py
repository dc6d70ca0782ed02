"""Demand: agents needed from what Kore says actually came, and a forecast of what will come.

Kore's Contact Volume (``contact_volume``, migration 007: 15-minute rows per queue, with a
``skillBreakdown`` row per skill) is turned, per scope and coverage grid cell, into agents on
queue needed (before shrinkage). Every figure is defined here once; the SQL in
``sql/demand/*.sql`` implements exactly this.

The package, one thing per module: ``settings`` (:class:`DemandSettings`), ``forecast`` (the
profile forecast and intraday reforecast), ``sizing`` (Erlang A and C for one cell),
``requirements`` (one day of requirements, read, sized and written).

Scopes
    A queue-level row is the scope ``queue:<id>``; a skillBreakdown row is ``skill:<id>``,
    summed over the queues that route the skill (a contact with two skills counts once in
    each, as Kore counts it); ``all`` sums the queue-level rows: all agents as ONE pool, which
    understates the need when agents are not cross-skilled. Only scopes of the scopes table
    get rows (the coverage grid).

Volume on the grid
    Kore's rows are 15 minutes; the grid's cells are 5, 15, 30 or 60. A row longer than a cell
    is split into equal pieces, each with its share of every count and total (contacts are
    taken to arrive evenly within Kore's interval: 15-minute data cannot say more, and the
    arrival rate of each piece is the row's); rows shorter than a cell are summed into it.
    Split counts are fractional on purpose.

Completed cells and "now"
    Kore's volume is known up to the end of its latest row or the volume sync's watermark
    (the end of its latest completed window), the later, never beyond the build's now
    (``volume_end``). A cell that ended by then is COMPLETED: its requirement comes from what
    came (a completed cell of a scope without a row had no contacts). Every other cell takes
    the forecast (``is_forecast``). A scope is sized only when Kore reported volume for it in
    the forecast window or the day.

Arrival rate, handle time, patience
    arrival rate per hour = offered / cell hours. AHT = handle seconds / ANSWERED contacts of the
    cell (Kore's conversationHandleTime belongs to the contacts answered; "completed" may count
    contacts answered in an earlier interval); a cell whose contacts were all abandoned takes
    the day's pooled AHT. Patience is exponential with censoring: every second a contact waited
    (answered or abandoned) is exposure to abandoning, each abandon one event, so the maximum
    likelihood mean patience = (wait answered + wait abandoned) / abandoned. It is pooled over
    the scope's completed cells of the day (a cell holds a handful of abandons at most; the
    pooled figure is the same estimator with more events, patience being the callers' trait
    rather than the hour's). A day without abandons has no patience estimate, nor has one whose
    abandons come with no wait time at all (an estimate of 0 says the waits were not reported,
    not that callers hang up at once).

Concurrency (chat and messaging)
    The agents with a status span in the scope that day and their channel capacity over the
    day so far. The BUSIEST channel (most used capacity) is the scope's; its concurrency is
    what an agent handling contacts on it (used capacity > 0) can hold at once, used +
    available capacity (the total when available is not sent), averaged over those
    observations: 1 for voice, and 1 for an agent routed one chat at a time (1 used, nothing
    available) whatever its nominal total. Without capacity data 1; a scope without data today
    keeps its latest figure of the last 7 days. Effective handle time = AHT / concurrency: the
    agent-seconds one contact takes.

Agents on queue needed (``demand_requirements``)
    Erlang C (:func:`pipelines.coverage.erlang.required_agents`) always, and Erlang A
    (:func:`pipelines.coverage.erlang_a.required_agents_a`) when the patience is known; both are
    stored and Erlang A is the requirement when it exists (Erlang C ignores callers who hang up
    and so overstates the need). Goal: ``service_level`` of offered contacts answered within
    ``target_seconds``, occupancy at most ``max_occupancy`` (settings, default 80 % in 20 s, no
    cap). No contacts: 0 agents. ``source``: ``kore_erlang_a`` / ``kore_erlang_c`` for completed
    cells, ``profile_erlang_a`` / ``profile_erlang_c`` for forecast cells.
    ``service_level_expected`` is the model's service level at the requirement;
    ``service_level_achieved`` the model's service level at the agents actually on queue in the
    cell (coverage; linear between the whole head-counts around the time-weighted average).

Profile forecast (``demand_forecast``)
    For local day D, per scope and cell: the mean offered in the cell at the same local wall
    time on the same weekday of the ``profile_weeks`` weeks before D (D - 7, D - 14, ...),
    over the weeks in which Kore reported any volume for the scope (``weeks_used``); AHT =
    handle seconds / answered of those cells (the window's pooled AHT when none answered);
    patience = the censored MLE pooled over the window. A fall-back day's repeated hour is one
    figure per local minute (its two cells averaged); both repeated cells of D get it.

Intraday reforecast
    When D is today: ratio = offered over today's completed cells / their profile, clipped to
    [0.5, 2] (:data:`pipelines.demand.settings.RATIO_MIN` / ``RATIO_MAX``: one morning may
    halve or double a day, no more), 1 when the profile of the completed cells is 0. Cells not
    completed get profile x ratio (method ``profile_reforecast``); completed cells keep the
    profile (method ``profile``), so forecast error can be measured. Tomorrow is the plain
    profile.

Every build replaces its day atomically (one transaction), as the coverage builds do.
"""

from pipelines.demand.forecast import build_forecast
from pipelines.demand.requirements import build_demand_requirements
from pipelines.demand.settings import RATIO_MAX, RATIO_MIN, DemandSettings

__all__ = [
    "RATIO_MAX",
    "RATIO_MIN",
    "DemandSettings",
    "build_demand_requirements",
    "build_forecast",
]
