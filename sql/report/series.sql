-- Every scope x interval of one day with its requirement: the data behind the report's charts.
-- Parameters: $day, the report day (DATE).
SELECT
    v.scope_key,
    coalesce(sc.name, v.scope_key) AS name,
    v.interval_start,
    v.local_start,
    v.required_agents,
    v.staffed,
    v.available,
    v.gap,
    v.met,
    v.observed_share
FROM coverage_vs_requirement AS v
LEFT JOIN scopes AS sc ON sc.scope_key = v.scope_key
WHERE v.day = $day
ORDER BY v.scope_key, v.interval_start;
