-- The coverage table of one day as exported to coverage.csv: one row per scope x interval.
-- Parameters: $day, the report day (DATE), used for every side of the joins.
-- A FULL JOIN keeps an interval that only one side holds (for instance an unobserved interval
-- that coverage_intervals left out), so the CSV always has every scope x interval of the day.
-- requirement_source says where each requirement came from: 'target' (targets file),
-- 'forecast_erlang_c' (forecast file), 'kore_erlang_a' / 'kore_erlang_c' (Kore's contact
-- volume), 'profile_erlang_a' / 'profile_erlang_c' (profile forecast); is_future marks
-- intervals still ahead when coverage was built (forecast, no actual figures); basis says what
-- the figures rest on: 'finalized' (Kore's exact status history) or 'provisional' (polls).
-- Timestamps are formatted here so the file does not depend on the client's time-zone handling.
WITH c AS (
    SELECT * FROM coverage_intervals WHERE day = $day
),
v AS (
    SELECT * FROM coverage_vs_requirement WHERE day = $day
),
r AS (
    SELECT * FROM staffing_requirements WHERE day = $day
)
SELECT
    strftime(coalesce(c.day, v.day), '%Y-%m-%d') AS day,
    coalesce(c.scope_key, v.scope_key) AS scope_key,
    coalesce(sc.name, c.scope_key, v.scope_key) AS scope_name,
    strftime(
        coalesce(c.interval_start, v.interval_start) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'
    ) AS interval_start,
    strftime(coalesce(c.local_start, v.local_start), '%Y-%m-%dT%H:%M:%S') AS local_start,
    v.is_future,
    coalesce(c.basis, v.basis) AS basis,
    coalesce(c.observed_share, v.observed_share) AS observed_share,
    c.avg_available,
    c.avg_busy,
    c.avg_busy_productive,
    c.avg_busy_other,
    c.avg_away,
    c.avg_offline,
    c.avg_other,
    coalesce(c.staffed, v.staffed) AS staffed,
    coalesce(v.on_queue, c.avg_on_queue) AS on_queue,
    coalesce(v.logged_in, c.avg_logged_in) AS logged_in,
    c.shrinkage,
    c.busy_capacity_known,
    c.min_available,
    c.max_available,
    c.occupancy,
    c.zero_available_share,
    v.required_agents,
    coalesce(v.requirement_source, r.source) AS requirement_source,
    r.service_level_expected,
    r.scheduled_required,
    v.scheduled,
    v.net_staffing,
    v.gap,
    v.met
FROM c
FULL JOIN v
    ON v.scope_key = c.scope_key
    AND v.interval_start = c.interval_start
LEFT JOIN r
    ON r.scope_key = coalesce(c.scope_key, v.scope_key)
    AND r.interval_start = coalesce(c.interval_start, v.interval_start)
LEFT JOIN scopes AS sc ON sc.scope_key = coalesce(c.scope_key, v.scope_key)
ORDER BY coalesce(c.scope_key, v.scope_key), coalesce(c.interval_start, v.interval_start);
