-- Spans of one (scope, agent) on one day that overlap an earlier span of the same pair
-- (they must not: an agent holds one status at a time in a scope). Parameter: $day.
-- One row per offending span, with the running latest end of the spans before it.
SELECT scope_key, agent_id, status, span_start, span_end, previous_end
FROM (
    SELECT
        *,
        max(span_end) OVER (
            PARTITION BY scope_key, agent_id
            ORDER BY span_start, span_end
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS previous_end
    FROM agent_status_spans
    WHERE day = $day
)
WHERE previous_end > span_start
ORDER BY scope_key, agent_id, span_start;
