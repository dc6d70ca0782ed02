-- One scope, poll by poll, in [$start, $end): agents per status at every successful poll, as
-- received (a poll that listed nobody gives one row with status NULL).
SELECT
    r.observed_at,
    sn.status,
    count(DISTINCT sn.agent_id) AS agents
FROM raw_responses AS r
LEFT JOIN snapshots AS sn
    ON sn.tick_id = r.tick_id AND sn.scope_key = r.scope_key
WHERE r.scope_key = $scope_key
    AND r.outcome = 'ok'
    AND r.tick_id NOT IN (SELECT tick_id FROM tick_landing)  -- published answers only
    AND r.observed_at >= $start
    AND r.observed_at < $end
GROUP BY ALL
ORDER BY r.observed_at, sn.status;
