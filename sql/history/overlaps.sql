-- Spans of one agent that overlap within a local day (a repeated or inconsistent span).
-- Parameters: $day (DATE).
SELECT account_id, agent_id, span_start, span_end, next_start
FROM (
    SELECT account_id, agent_id, span_start, span_end,
           lead(span_start) OVER (PARTITION BY account_id, agent_id ORDER BY span_start, span_end)
               AS next_start
    FROM agent_status_history
    WHERE day = $day
)
WHERE next_start < span_end
ORDER BY account_id, agent_id, span_start;
