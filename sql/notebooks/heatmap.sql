-- Coverage by local weekday (ISO, 1 = Monday) and local hour of day, per scope: the mean
-- gap = available - required over the cells that have both a requirement and observed time.
-- Hours without a requirement (e.g. nights) have no row.
SELECT
    v.scope_key,
    isodow(v.local_start) AS weekday,
    hour(v.local_start) AS hour,
    avg(v.gap) AS mean_gap,
    avg(v.available) AS mean_available,
    avg(v.required_agents) AS mean_required,
    count(*) AS cells
FROM coverage_vs_requirement AS v
WHERE v.day BETWEEN $start_day AND $end_day
    AND list_contains($scopes, v.scope_key)
    AND v.gap IS NOT NULL
GROUP BY ALL
ORDER BY v.scope_key, weekday, hour;
