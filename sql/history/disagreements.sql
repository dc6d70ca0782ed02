-- Spans of a local day whose stated duration disagrees with endTime - startTime.
-- Parameters: $day (DATE).
SELECT account_id, agent_id, bucket, secondary_status, span_start, span_end, duration_stated_s
FROM agent_status_history
WHERE day = $day AND duration_disagrees
ORDER BY account_id, agent_id, span_start;
