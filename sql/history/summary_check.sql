-- Store the cross-check of one account's local day: the summary's AgentStatus seconds
-- (registered as summary_rows: user_id, interval_start, interval_end, bucket, seconds) against
-- the stored exact spans of agent_status_history, per (user, interval, bucket), over the
-- intervals the summary lists for that user inside the local day.
-- Parameters: $account_id (VARCHAR), $day (DATE), $day_start / $day_end (TIMESTAMPTZ, the local
-- day's UTC bounds), $tolerance_s (DOUBLE), $now (TIMESTAMPTZ).
DELETE FROM status_summary_checks WHERE account_id = $account_id AND day = $day;

INSERT INTO status_summary_checks
    (account_id, day, user_id, interval_start, interval_end, bucket, summary_seconds,
     span_seconds, differs, checked_at)
WITH intervals AS (
    SELECT DISTINCT user_id, interval_start, interval_end
    FROM summary_rows
    WHERE interval_start >= $day_start AND interval_end <= $day_end
),
said AS (
    SELECT user_id, interval_start, upper(bucket) AS bucket, sum(seconds) AS seconds
    FROM summary_rows
    WHERE interval_start >= $day_start AND interval_end <= $day_end
    GROUP BY ALL
),
seen AS (
    SELECT
        i.user_id,
        i.interval_start,
        h.bucket,
        sum(epoch(least(h.span_end, i.interval_end)) - epoch(greatest(h.span_start,
            i.interval_start))) AS seconds
    FROM intervals AS i
    JOIN agent_status_history AS h
      ON h.account_id = $account_id
     AND h.day = $day
     AND h.user_id = i.user_id
     AND h.span_start < i.interval_end
     AND h.span_end > i.interval_start
    WHERE h.bucket <> 'OFFLINE'
    GROUP BY ALL
)
SELECT
    $account_id,
    $day,
    k.user_id,
    k.interval_start,
    i.interval_end,
    k.bucket,
    coalesce(s.seconds, 0),
    coalesce(x.seconds, 0),
    abs(coalesce(s.seconds, 0) - coalesce(x.seconds, 0)) > $tolerance_s,
    $now
FROM (
    SELECT user_id, interval_start, bucket FROM said
    UNION
    SELECT user_id, interval_start, bucket FROM seen
) AS k
JOIN intervals AS i
  ON i.user_id = k.user_id AND i.interval_start = k.interval_start
LEFT JOIN said AS s
  ON s.user_id = k.user_id AND s.interval_start = k.interval_start AND s.bucket = k.bucket
LEFT JOIN seen AS x
  ON x.user_id = k.user_id AND x.interval_start = k.interval_start AND x.bucket = k.bucket;

