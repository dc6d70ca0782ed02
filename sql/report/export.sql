-- The coverage table of one day as exported to coverage.csv: one row per scope x interval.
-- Parameters: $day, the report day (DATE), used for both sides of the join.
-- A FULL JOIN keeps an interval that only one side holds (for instance an unobserved interval
-- that coverage_intervals left out), so the CSV always has every scope x interval of the day.
-- Timestamps are formatted here so the file does not depend on the client's time-zone handling.
WITH c AS (
    SELECT * FROM coverage_intervals WHERE day = $day
),
v AS (
    SELECT * FROM coverage_vs_requirement WHERE day = $day
)
SELECT
    strftime(coalesce(c.day, v.day), '%Y-%m-%d') AS day,
    coalesce(c.scope_key, v.scope_key) AS scope_key,
    coalesce(sc.name, c.scope_key, v.scope_key) AS scope_name,
    strftime(
        coalesce(c.interval_start, v.interval_start) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'
    ) AS interval_start,
    strftime(coalesce(c.local_start, v.local_start), '%Y-%m-%dT%H:%M:%S') AS local_start,
    coalesce(c.observed_share, v.observed_share) AS observed_share,
    c.avg_available,
    c.avg_busy,
    c.avg_away,
    c.avg_offline,
    c.avg_other,
    coalesce(c.staffed, v.staffed) AS staffed,
    c.min_available,
    c.max_available,
    c.occupancy,
    c.zero_available_share,
    v.required_agents,
    v.gap,
    v.met
FROM c
FULL JOIN v
    ON v.scope_key = c.scope_key
    AND v.interval_start = c.interval_start
LEFT JOIN scopes AS sc ON sc.scope_key = coalesce(c.scope_key, v.scope_key)
ORDER BY coalesce(c.scope_key, v.scope_key), coalesce(c.interval_start, v.interval_start);
