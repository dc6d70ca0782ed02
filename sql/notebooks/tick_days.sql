-- Polls per LOCAL day in $time_zone: how many ticks ran, from which source, and how many of
-- the scopes they asked answered, failed, or were deferred for lack of rate budget.
SELECT
    CAST(timezone($time_zone, started_at) AS DATE) AS day,
    count(*) AS ticks,
    count(*) FILTER (WHERE source = 'poll') AS polled_ticks,
    count(*) FILTER (WHERE source = 'synthetic') AS synthetic_ticks,
    CAST(sum(scopes_asked) AS BIGINT) AS scopes_asked,
    CAST(sum(scopes_ok) AS BIGINT) AS scopes_ok,
    CAST(sum(scopes_failed) AS BIGINT) AS scopes_failed,
    CAST(sum(scopes_deferred) AS BIGINT) AS scopes_deferred
FROM ticks
GROUP BY ALL
ORDER BY day;
