-- Net staffing per scope over the date range, largest shortfall first (ties by scope key).
-- shortfall / surplus agent-hours = sums of coverage_daily_summary's (max(required - on_queue,
-- 0) and max(on_queue - required, 0) x cell hours). Every average, and intervals_judged and
-- share_met, are over the same JUDGED cells: a requirement, observed time, not in the future.
WITH days AS (
    SELECT
        scope_key,
        sum(shortfall_agent_hours) AS shortfall_agent_hours,
        sum(surplus_agent_hours) AS surplus_agent_hours,
        count(*) AS days
    FROM coverage_daily_summary
    WHERE day BETWEEN $start_day AND $end_day
        AND list_contains($scopes, scope_key)
    GROUP BY scope_key
),
cells AS (
    SELECT
        scope_key,
        count(*) AS intervals_judged,
        count(*) FILTER (WHERE met) AS intervals_met,
        min(net_staffing) AS worst_net,
        avg(on_queue) AS avg_on_queue,
        avg(required_agents) AS avg_required,
        avg(net_staffing) AS avg_net_staffing,
        avg(idle_available) AS avg_idle_available
    FROM coverage_vs_requirement
    WHERE day BETWEEN $start_day AND $end_day
        AND list_contains($scopes, scope_key)
        AND required_agents IS NOT NULL
        AND on_queue IS NOT NULL
        AND observed_share > 0
        AND NOT is_future
    GROUP BY scope_key
)
SELECT
    d.scope_key,
    s.name,
    s.kind,
    d.days,
    d.shortfall_agent_hours,
    d.surplus_agent_hours,
    coalesce(c.intervals_judged, 0) AS intervals_judged,
    coalesce(c.intervals_met, 0) AS intervals_met,
    c.intervals_met / nullif(c.intervals_judged, 0) AS share_met,
    c.avg_on_queue,
    c.avg_required,
    c.avg_net_staffing,
    c.avg_idle_available,
    c.worst_net
FROM days AS d
LEFT JOIN cells AS c USING (scope_key)
LEFT JOIN scopes AS s USING (scope_key)
ORDER BY d.shortfall_agent_hours DESC, d.scope_key;
