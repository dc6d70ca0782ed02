-- One agent's status spans in one scope, clipped to [$start, $end). Spans are stored per
-- coverage day and already cut at its midnight, so a span across midnight shows as two.
SELECT
    sp.status,
    greatest(sp.span_start, $start) AS span_start,
    least(sp.span_end, $end) AS span_end,
    epoch(least(sp.span_end, $end) - greatest(sp.span_start, $start)) / 3600 AS hours,
    sp.observations
FROM agent_status_spans AS sp
WHERE sp.scope_key = $scope_key
    AND sp.agent_id = $agent_id
    AND sp.span_end > $start
    AND sp.span_start < $end
ORDER BY sp.span_start;
