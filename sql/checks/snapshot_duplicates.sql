-- (tick, scope, agent) pairs stored more than once among the ticks written since $since.
SELECT tick_id, scope_key, agent_id, count(*) AS copies
FROM snapshots
WHERE observed_at >= $since
GROUP BY ALL
HAVING count(*) > 1
ORDER BY copies DESC, tick_id, scope_key, agent_id
LIMIT 20;
