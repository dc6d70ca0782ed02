-- Per-scope summary of one day for the daily report, ranked by shortfall (largest first).
-- Parameters: $day, the report day (DATE).
-- Every average comes from coverage_daily_summary, where all of them are taken over the same
-- JUDGED intervals (a requirement AND observed time AND not in the future), so avg_on_queue,
-- avg_required and avg_net_staffing compare like with like. The worst interval's local start
-- comes from the interval table itself so the report shows the label the pipeline computed.
-- From the interval tables: the intervals still ahead, the intervals whose requirement is a
-- forecast (still ahead, or sized from the profile forecast: source 'profile_...'), the
-- requirement sources used, the mean expected service level and occupancy over the judged intervals, and the
-- share of BUSY time with capacity data (below 1: some BUSY counted as on-queue unseen).
WITH cells AS (
    SELECT
        v.scope_key,
        count(*) FILTER (WHERE v.is_future) AS intervals_future,
        count(*) FILTER (
            WHERE v.required_agents IS NOT NULL
            AND (v.is_future OR v.requirement_source LIKE 'profile\_%' ESCAPE '\')
        ) AS intervals_forecast,
        list(DISTINCT v.requirement_source ORDER BY v.requirement_source)
            FILTER (WHERE v.requirement_source IS NOT NULL) AS requirement_sources,
        avg(r.service_level_expected) FILTER (
            WHERE v.required_agents IS NOT NULL AND v.observed_share > 0 AND NOT v.is_future
        ) AS avg_service_level_expected,
        avg(c.occupancy) FILTER (
            WHERE v.required_agents IS NOT NULL AND v.observed_share > 0 AND NOT v.is_future
        ) AS avg_occupancy,
        min(c.busy_capacity_known) AS min_busy_capacity_known
    FROM coverage_vs_requirement AS v
    LEFT JOIN coverage_intervals AS c
        ON c.day = v.day
        AND c.scope_key = v.scope_key
        AND c.interval_start = v.interval_start
    LEFT JOIN staffing_requirements AS r
        ON r.day = v.day
        AND r.scope_key = v.scope_key
        AND r.interval_start = v.interval_start
    WHERE v.day = $day
    GROUP BY v.scope_key
)
SELECT
    s.scope_key,
    coalesce(sc.name, s.scope_key) AS name,
    s.intervals,
    s.intervals_observed,
    s.intervals_with_requirement,
    s.intervals_judged,
    s.intervals_met,
    s.share_met,
    s.avg_on_queue,
    s.avg_idle_available,
    s.avg_required,
    s.avg_net_staffing,
    s.avg_scheduled,
    s.shortfall_agent_hours,
    s.surplus_agent_hours,
    s.worst_interval_start,
    v.local_start AS worst_local_start,
    s.worst_gap,
    s.avg_available,
    coalesce(cells.intervals_future, 0) AS intervals_future,
    coalesce(cells.intervals_forecast, 0) AS intervals_forecast,
    coalesce(cells.requirement_sources, []) AS requirement_sources,
    cells.avg_service_level_expected,
    cells.avg_occupancy,
    cells.min_busy_capacity_known
FROM coverage_daily_summary AS s
LEFT JOIN scopes AS sc ON sc.scope_key = s.scope_key
LEFT JOIN coverage_vs_requirement AS v
    ON v.day = s.day
    AND v.scope_key = s.scope_key
    AND v.interval_start = s.worst_interval_start
LEFT JOIN cells ON cells.scope_key = s.scope_key
WHERE s.day = $day
ORDER BY s.shortfall_agent_hours DESC NULLS LAST, s.scope_key;
