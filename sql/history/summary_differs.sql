-- The rows of one day's summary cross-check whose seconds differ (status_summary_checks).
-- Parameter: $day (DATE).
SELECT account_id, user_id, interval_start, bucket, summary_seconds, span_seconds
FROM status_summary_checks
WHERE day = $day AND differs
ORDER BY account_id, user_id, interval_start, bucket;
