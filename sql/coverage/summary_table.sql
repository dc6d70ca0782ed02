-- Per scope figures of one day for asset metadata and reports. Parameter: $day.
SELECT
    d.scope_key,
    s.name,
    d.avg_available,
    d.avg_required,
    d.share_met,
    d.shortfall_agent_hours
FROM coverage_daily_summary AS d
LEFT JOIN scopes AS s USING (scope_key)
WHERE d.day = $day
ORDER BY d.scope_key;
