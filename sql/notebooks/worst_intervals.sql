-- The $top_n intervals furthest below requirement (smallest net_staffing = on_queue -
-- required) in the date range, among the judged ones (observed, not in the future); earliest
-- first on ties.
SELECT
    v.scope_key,
    s.name,
    v.day,
    v.local_start,
    v.interval_start,
    v.required_agents,
    v.on_queue,
    v.idle_available,
    v.net_staffing,
    v.requirement_source,
    v.observed_share
FROM coverage_vs_requirement AS v
LEFT JOIN scopes AS s USING (scope_key)
WHERE v.day BETWEEN $start_day AND $end_day
    AND list_contains($scopes, v.scope_key)
    AND v.net_staffing < 0
    AND v.observed_share > 0
    AND NOT v.is_future
ORDER BY v.net_staffing, v.interval_start, v.scope_key
LIMIT $top_n;
