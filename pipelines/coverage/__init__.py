"""Staffing coverage: how many agents were really there, interval by interval, against need.

Workforce-management analysts compare these figures with Amazon Connect's and Genesys
Cloud's, so every figure has one written definition, below, and the SQL in
``sql/coverage/*.sql`` implements exactly that (DuckDB does all the row work; pandas is only
used for the rules DataFrame coming in and the summary table going out).

The package, one thing per module:

* ``calendar``: local days and intervals (also used by the report, the synthetic history and
  the simulator);
* ``settings``: :class:`CoverageSettings`, the grid's time zone, interval and max gap;
* ``build``: the per-day rebuilds of the tables below, each one SQL file in ``sql/coverage/``;
* ``checks``: the data checks, each one function plus one SQL file in ``sql/checks/``;
* ``finalized``: the day's basis (finalized from exact history or provisional from polls),
  completeness before and after finalization, and the reconciliation check;
* ``requirements_files`` and ``requirements``: the targets and forecast files, read,
  validated and turned into requirement rules; ``requirements_ranges``: the plausible range
  of every number in them; ``erlang``: the Erlang C sizing they use; ``erlang_a``: Erlang A
  (M/M/N+M, callers who abandon), figures and head-count; both searches stop at
  ``MAX_SERVERS``;
  ``schedules``: the schedules file (agents scheduled per scope and interval).

Net staffing, in one paragraph (the definitions below say it exactly)
    Required ON-QUEUE agents (Erlang, BEFORE shrinkage) are compared with actual on-queue
    agents (time-weighted AVAILABLE + productive BUSY): **net staffing = on-queue -
    required**. Idle available agents stay their own figure (spare capacity). Logged-in =
    every status but OFFLINE; actual shrinkage = the share of logged-in time not on queue.
    Planned shrinkage only turns a requirement into scheduled heads
    (``scheduled_required``), which an optional schedules file's ``scheduled`` sits beside:
    scheduled vs required vs actual, as WFM tools show them.

Settings (:class:`CoverageSettings`)
    ``time_zone`` (AVAILABILITY_TIME_ZONE, IANA name), ``interval_minutes``
    (AVAILABILITY_INTERVAL_MINUTES: 5, 15, 30 or 60), ``max_gap_seconds``
    (AVAILABILITY_MAX_GAP_SECONDS, default 120 = 2 x the 60 s poll interval),
    ``nonproductive_busy`` (AVAILABILITY_NONPRODUCTIVE_BUSY: the exact history's custom BUSY
    names that are not on queue).

Partition
    One LOCAL calendar day in ``time_zone``: the UTC range [local midnight, next local
    midnight) (:func:`day_bounds`). A DST day lasts 23 or 25 hours: 92 or 100 quarter hours
    (:func:`interval_count`).

Observation points and windows
    Every successful poll (``raw_responses.outcome = 'ok'``) of scope S at ``observed_at`` = t
    is an observation point of S, even when it lists no agent; snapshot rows count only at
    such points. It opens the window
    [t, min(next successful poll of S, t + max_gap)). Time outside every window is
    UNOBSERVED and is left out of every average (never counted as zero agents). Two successful
    responses of one scope at the same instant are one observation point.

Membership mode (``ticks.mode = 'membership'``)
    Such a tick asks once for all agents; its one successful answer (scope ``all``) at t is
    also an observation point of every skill and queue of ``scopes`` whose membership the
    account knew at t (table ``membership``: first listed at or before t), and lists, in each,
    the agents whose membership was valid at t (valid_from <= t < valid_to, or valid_to NULL).
    A scope whose members have all left is observed with zero agents. Everything below then
    applies unchanged. Per-scope ticks are read as they are (their 'all' answer is not
    expanded), so a day without membership-mode ticks gives the figures it always gave.

One status per agent per poll
    ``snapshots`` has one row per agent listed in a response; an agent listed in two buckets
    of one response (one scope, one instant) counts once, with the status chosen by
    precedence BUSY > AVAILABLE > AWAY > any other status (alphabetically) > OFFLINE. Status
    keys are compared exactly as received (custom statuses such as "BREAK" are kept). An agent
    in several skills or queues counts in each scope, never twice within one.

Productive and non-productive BUSY
    Custom statuses of type Busy (Training, Meeting ...) arrive in the BUSY bucket. Kore's
    ``channelCapacity`` (table ``channel_capacity``, one row per tick, agent and channel)
    tells them apart: a BUSY listing is PRODUCTIVE when the agent's answer in that tick had
    used capacity > 0 on some channel (handling contacts), NON-PRODUCTIVE when capacity data
    came and none was used, and UNKNOWN when no used capacity was reported. Unknown BUSY
    counts as productive (without capacity data every BUSY counts), and
    ``busy_capacity_known`` says how much of the BUSY time was known. Capacity is per tick and
    agent, so in membership mode the flag of the one 'all' answer holds in every scope.

Agent status spans (``agent_status_spans``)
    Each observation of an agent with status s at t gives the span [t, end of t's window) with
    status s: it ends at the scope's next successful poll (if the agent is not listed there it
    left the scope or the roster) or after max_gap, whichever is first. Spans of one
    (scope, agent) with the same status that touch are merged. Spans are stored per day,
    clipped to the day's UTC bounds: a span across midnight appears in both days. Building a
    day therefore reads polls from day start - max_gap. A BUSY span carries
    ``busy_productive`` (true, false, or NULL when unknown; NULL for every other status) and
    spans split where it changes; two BUSY listings of one instant: productive wins over
    unknown over non-productive.

Coverage grid (``coverage_intervals``): every row of ``scopes`` x every interval of the day
    Intervals step ``interval_minutes`` in UTC from the day's UTC start (local midnight); DST
    shifts are whole hours, so these are local wall-clock boundaries too (in a zone whose
    shift is not a whole hour the last cell is cut short at the day end). ``local_start`` is
    the wall clock in ``time_zone``. Per cell:

    - ``observed_seconds``: length of the cell inside observation windows;
      ``observed_share`` = observed_seconds / cell seconds (completeness, 0..1).
    - ``avg_available``, ``avg_busy``, ``avg_away``, ``avg_offline``, ``avg_other`` (every
      other status together) = agent-seconds in that status / observed seconds: the
      time-weighted average head count over the observed part of the cell.
    - ``staffed`` = avg_available + avg_busy; ``occupancy`` = avg_busy / staffed (NULL when
      staffed = 0). Both count every BUSY, as they did before on-queue was defined.
    - ``avg_busy_productive`` (productive or unknown BUSY) and ``avg_busy_other``
      (non-productive BUSY), which add up to avg_busy; ``avg_on_queue`` = avg_available +
      avg_busy_productive; ``avg_logged_in`` = every status but OFFLINE (custom statuses
      included); ``shrinkage`` = 1 - avg_on_queue / avg_logged_in (NULL when nobody is logged
      in); ``busy_capacity_known`` = share of BUSY agent-seconds whose productivity was known
      (NULL when nobody was BUSY).
    - ``min_available`` / ``max_available``: the AVAILABLE head count at each observation point
      whose window overlaps the cell (a poll just before the cell whose window reaches into it
      counts).
    - ``zero_available_share``: share of the OBSERVED time of the cell with no agent AVAILABLE.
    - ``observations``: successful polls with t inside the cell.

    A cell with no observed time is present with observed_share 0 and NULL figures (never
    zeros). ``coverage_status_intervals`` holds the same averages in long form, one row per
    status seen in the cell (custom statuses included), with the agent-seconds.

Staffing requirements (``staffing_requirements``)
    ``required_agents`` is the ON-QUEUE requirement, before shrinkage (a target is read that
    way too). Rules (from :mod:`pipelines.coverage.requirements`) are in LOCAL wall time. A
    rule matches a cell when its scope_key is the cell's, its day_date is the cell's local
    date OR its weekday is the ISO weekday of that date, and start_minute <= local minute of
    day of the cell start < end_minute. The lowest priority wins; ties go to a dated rule over
    a weekday rule, then 'target' over a computed source, then the narrower, later-starting,
    larger rule. A cell that no file rule matches takes the day's computed demand
    (``demand_requirements``, defined in :mod:`pipelines.demand`): what Kore says came, else
    the profile forecast. Cells without either have no row. On a spring-forward day the
    skipped hour has no cells; on a fall-back day both cells of the repeated hour match the
    same rule. ``source`` says where the figure came from ('target', 'forecast_erlang_c' = the
    forecast file sized by Erlang C, 'kore_erlang_a' / 'kore_erlang_c' = Kore's contact volume,
    'profile_erlang_a' / 'profile_erlang_c' = the profile forecast); ``scheduled_required`` =
    the heads to schedule given the rule's planned shrinkage, ceil(required / (1 - shrinkage))
    (NULL when none is known);
    ``service_level_expected`` = the service level the requirement is expected to reach
    (NULL for targets).

Schedules (``staffing_schedules``)
    Rows of the schedules file (:mod:`pipelines.coverage.schedules`) match cells as rules do;
    a dated row wins over a weekday row. Scheduled heads, before shrinkage.

Coverage against requirement (``coverage_vs_requirement``, ``coverage_daily_summary``)
    Per cell: on_queue = avg_on_queue, idle_available = available = avg_available,
    logged_in = avg_logged_in, scheduled (NULL without a schedule), requirement_source,
    net_staffing = gap = on_queue - required, is_future = interval_start >= the build's
    ``now``. A cell is JUDGED when it has a requirement and observed time and is not future;
    met = on_queue >= required for judged cells, NULL for every other cell. Per (day, scope):
    intervals, intervals_observed (observed_share > 0), intervals_with_requirement,
    intervals_judged, intervals_met, share_met = met / judged (NULL if none); and, ALL over
    the judged cells (the same set, so no average mixes 24 hours with 12):
    shortfall_agent_hours = sum of max(required - on_queue, 0) x cell hours,
    surplus_agent_hours = sum of max(on_queue - required, 0) x cell hours,
    worst_interval_start / worst_local_start / worst_gap = the smallest net staffing, earliest
    cell on ties, avg_on_queue, avg_idle_available (= avg_available), avg_required,
    avg_net_staffing, avg_scheduled (over the judged cells that have a schedule).

    Days built before migration 008 hold NULL in the net staffing columns until rebuilt.

Finalized and provisional (``basis`` on every span, coverage and summary row)
    A local day whose exact status history is complete (Kore's Agent Status Details, table
    ``agent_status_history``: some account's fetch of the day has ``completed_at`` and
    ``covers_day``) is FINALIZED for 'all', every named agent list and every skill and queue
    whose membership that account knows (any ``membership`` row); today, days without complete
    history and the other scopes stay PROVISIONAL (the polls, as above). ``coverage_bases``
    records each scope's basis when the day's spans are built; :mod:`.finalized` reads it.
    For a finalized scope:

    - Spans are the exact spans clipped to the day (``secondary_status`` = Kore's custom
      status name, ``observations`` 0). Time of the day no span covers is OFFLINE (Kore may
      leave logged-out time out) for every agent with a span that day or a membership valid
      in it. 'all' holds every agent of the history; a named list its IDs; a skill or queue
      its members while their membership was valid, matched by ``agent_id`` (Kore's ``aId`` =
      the listing's ``id`` = the availability ``_id``). Membership rows of the account's FIRST
      listing are taken to hold since ever: before the first refresh the first listing is all
      that is known (a backfill before the first poll counts with it; the report says so).
    - BUSY is productive unless its custom status name, trimmed and in any case, is one of
      ``AVAILABILITY_NONPRODUCTIVE_BUSY`` (default Training, Login Prep, Meeting); never
      unknown, so ``busy_capacity_known`` is 1 wherever someone was BUSY.
    - The whole cell is observed (``observed_share`` 1): cells the poller missed are
      repaired. ``min_available`` / ``max_available`` / ``zero_available_share`` are over the
      exact AVAILABLE head count through the cell; ``observations`` still counts the polls.
    - The poll-based spans are kept in ``coverage_polled_spans``; every coverage row holds what
      the polls alone saw: ``polled_seconds`` (the cell's time inside poll windows),
      ``polled_available`` and ``polled_on_queue`` (poll-based averages over that time; on a
      provisional row they equal ``avg_available`` and ``avg_on_queue``).

Completeness and reconciliation (``coverage_reconciliation``, per day and scope)
    Over the cells that had begun when built: before finalization ``cells_polled`` (any time
    inside poll windows), ``cells_fully_polled``, ``polled_share`` (mean share of cell time
    inside poll windows); after, ``cells_covered`` (observed time) and ``observed_share``;
    ``cells_repaired`` = finalized cells the polls saw in part or not at all. For a finalized
    scope, over ``cells_compared`` = its cells fully inside poll windows: ``mean_available`` /
    ``mean_on_queue`` (exact means), ``mae_available`` / ``mae_on_queue`` = mean |poll-based -
    exact| agents, and ``mae_*_share`` = MAE / exact mean (NULL when the mean is 0). The check
    ``polls_agree_with_history`` warns when either share passes
    ``AVAILABILITY_RECONCILIATION_THRESHOLD`` (default 0.05): membership drift, clock skew or
    a broken poller.

Every ``build_*`` replaces its day atomically: one transaction deletes the day's rows and
inserts the new ones, so a failure leaves the previous version in place.
"""

from pipelines.coverage.build import (
    build_coverage,
    build_coverage_vs_requirement,
    build_requirements,
    build_schedules,
    build_spans,
    summary_table,
)
from pipelines.coverage.calendar import day_bounds, interval_count
from pipelines.coverage.checks import (
    CheckOutcome,
    check_completeness,
    check_coverage_target,
    check_grid_complete,
    check_spans_no_overlap,
)
from pipelines.coverage.settings import CoverageSettings, CoverageSettingsError

__all__ = [
    "CheckOutcome",
    "CoverageSettings",
    "CoverageSettingsError",
    "build_coverage",
    "build_coverage_vs_requirement",
    "build_requirements",
    "build_schedules",
    "build_spans",
    "check_completeness",
    "check_coverage_target",
    "check_grid_complete",
    "check_spans_no_overlap",
    "day_bounds",
    "interval_count",
    "summary_table",
]
