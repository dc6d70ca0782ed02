-- Completeness per day and scope: how much of the day the polls actually observed.
-- observed_share is the share of the day's intervals' time inside observation windows
-- (pipelines/coverage/); unobserved time is left out of every average, never counted as 0.
SELECT
    c.day,
    c.scope_key,
    any_value(s.name) AS name,
    count(*) AS intervals,
    count(*) FILTER (WHERE c.observed_share > 0) AS intervals_observed,
    count(*) FILTER (WHERE c.observed_share < 0.9) AS intervals_below_90,
    sum(c.observed_seconds) / sum(epoch(c.interval_end - c.interval_start)) AS observed_share,
    sum(c.observed_seconds) AS observed_seconds,
    sum(epoch(c.interval_end - c.interval_start)) AS seconds,
    CAST(sum(c.observations) AS BIGINT) AS polls
FROM coverage_intervals AS c
LEFT JOIN scopes AS s USING (scope_key)
WHERE c.day BETWEEN $start_day AND $end_day
    AND list_contains($scopes, c.scope_key)
GROUP BY c.day, c.scope_key
ORDER BY c.day, c.scope_key;
