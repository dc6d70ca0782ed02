-- Per scope figures of one day for asset metadata and reports. Parameter: $day. Every
-- average is over the day's judged intervals (coverage_daily_summary); avg_available is the
-- idle available agents, avg_on_queue the on-queue agents that net staffing judges.
SELECT
    d.scope_key,
    s.name,
    d.avg_available,
    d.avg_required,
    d.share_met,
    d.shortfall_agent_hours,
    d.avg_on_queue,
    d.avg_net_staffing,
    d.intervals_judged,
    d.intervals_met,
    d.surplus_agent_hours
FROM coverage_daily_summary AS d
LEFT JOIN scopes AS s USING (scope_key)
WHERE d.day = $day
ORDER BY d.scope_key;
