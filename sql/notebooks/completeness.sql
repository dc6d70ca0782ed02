-- Completeness per day and scope: how much of the day the polls actually observed.
-- observed_share is the share of the day's intervals' time inside observation windows
-- (pipelines/coverage/); unobserved time is left out of every average, never counted as 0.
-- Intervals still ahead when coverage was built (is_future) cannot have been observed yet:
-- they are left out here and counted in intervals_future, so today is not "incomplete".
WITH cells AS (
    SELECT c.*, coalesce(v.is_future, false) AS is_future
    FROM coverage_intervals AS c
    LEFT JOIN coverage_vs_requirement AS v
        ON v.day = c.day AND v.scope_key = c.scope_key AND v.interval_start = c.interval_start
    WHERE c.day BETWEEN $start_day AND $end_day
        AND list_contains($scopes, c.scope_key)
)
SELECT
    c.day,
    c.scope_key,
    any_value(s.name) AS name,
    count(*) FILTER (WHERE NOT c.is_future) AS intervals,
    count(*) FILTER (WHERE c.is_future) AS intervals_future,
    count(*) FILTER (WHERE NOT c.is_future AND c.observed_share > 0) AS intervals_observed,
    count(*) FILTER (WHERE NOT c.is_future AND c.observed_share < 0.9) AS intervals_below_90,
    sum(c.observed_seconds) FILTER (WHERE NOT c.is_future)
        / sum(epoch(c.interval_end - c.interval_start)) FILTER (WHERE NOT c.is_future)
        AS observed_share,
    coalesce(sum(c.observed_seconds) FILTER (WHERE NOT c.is_future), 0) AS observed_seconds,
    coalesce(sum(epoch(c.interval_end - c.interval_start)) FILTER (WHERE NOT c.is_future), 0)
        AS seconds,
    CAST(sum(c.observations) AS BIGINT) AS polls
FROM cells AS c
LEFT JOIN scopes AS s USING (scope_key)
GROUP BY c.day, c.scope_key
ORDER BY c.day, c.scope_key;
