-- One day, interval by interval, per scope: agents available (time-weighted) and staffed
-- against agents required. Cells without a requirement have required_agents NULL; cells
-- without observed time have available NULL.
SELECT
    v.scope_key,
    v.interval_start,
    c.interval_end,
    v.local_start,
    v.required_agents,
    v.available,
    v.staffed,
    v.gap,
    v.observed_share
FROM coverage_vs_requirement AS v
JOIN coverage_intervals AS c USING (day, scope_key, interval_start)
WHERE v.day = $focus_day
    AND list_contains($scopes, v.scope_key)
ORDER BY v.scope_key, v.interval_start;
