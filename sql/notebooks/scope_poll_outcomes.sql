-- One scope's poll attempts in [$start, $end) by outcome and error kind: failures leave
-- the gaps in the timeline.
SELECT
    outcome,
    coalesce(error_kind, '') AS error_kind,
    count(*) AS polls,
    min(requested_at) AS first_at,
    max(requested_at) AS last_at
FROM raw_responses
WHERE scope_key = $scope_key
    AND tick_id NOT IN (SELECT tick_id FROM tick_landing)  -- published answers only
    AND requested_at >= $start
    AND requested_at < $end
GROUP BY ALL
ORDER BY outcome DESC, polls DESC;
