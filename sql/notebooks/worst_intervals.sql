-- The $top_n intervals furthest below requirement (smallest gap = available - required) in
-- the date range; earliest first on ties.
SELECT
    v.scope_key,
    s.name,
    v.day,
    v.local_start,
    v.interval_start,
    v.required_agents,
    v.available,
    v.gap,
    v.observed_share
FROM coverage_vs_requirement AS v
LEFT JOIN scopes AS s USING (scope_key)
WHERE v.day BETWEEN $start_day AND $end_day
    AND list_contains($scopes, v.scope_key)
    AND v.gap < 0
ORDER BY v.gap, v.interval_start, v.scope_key
LIMIT $top_n;
