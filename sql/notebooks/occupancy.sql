-- Every observed cell with agents staffed: occupancy = avg_busy / staffed and the
-- time-weighted head counts, with the local hour for daily profiles.
SELECT
    c.scope_key,
    c.day,
    c.interval_start,
    c.local_start,
    hour(c.local_start) AS hour,
    c.occupancy,
    c.avg_available,
    c.avg_busy,
    c.staffed,
    c.zero_available_share
FROM coverage_intervals AS c
WHERE c.day BETWEEN $start_day AND $end_day
    AND list_contains($scopes, c.scope_key)
    AND c.occupancy IS NOT NULL
ORDER BY c.scope_key, c.interval_start;
