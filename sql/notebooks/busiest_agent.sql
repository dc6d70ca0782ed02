-- The agent of the scope with the most status spans (status changes) in [$start, $end),
-- ties by agent id: the most eventful timeline to look at.
SELECT agent_id, count(*) AS spans
FROM agent_status_spans
WHERE scope_key = $scope_key
    AND span_end > $start
    AND span_start < $end
GROUP BY agent_id
ORDER BY spans DESC, agent_id
LIMIT 1;
