-- Shortfall and surplus agent-hours per day and scope (coverage_daily_summary), for choosing
-- the day to look at and for the day-by-scope table; share_met is over the judged intervals.
SELECT
    d.day,
    d.scope_key,
    s.name,
    d.shortfall_agent_hours,
    d.surplus_agent_hours,
    d.intervals_judged,
    d.intervals_met,
    d.avg_net_staffing,
    d.share_met,
    d.worst_gap,
    d.worst_local_start
FROM coverage_daily_summary AS d
LEFT JOIN scopes AS s USING (scope_key)
WHERE d.day BETWEEN $start_day AND $end_day
    AND list_contains($scopes, d.scope_key)
ORDER BY d.day, d.scope_key;
