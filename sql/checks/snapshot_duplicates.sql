-- (tick, scope, agent) pairs stored more than once among the ticks written since $since.
-- The rule (sql/ingest/snapshots.sql): one row per agent per (tick, scope), even when an
-- answer lists the agent in two buckets (the status is chosen by precedence, BUSY > AVAILABLE
-- > AWAY > other > OFFLINE, and the raw body keeps both listings). Any row here is a bug.
SELECT tick_id, scope_key, agent_id, count(*) AS copies
FROM snapshots
WHERE observed_at >= $since
GROUP BY ALL
HAVING count(*) > 1
ORDER BY copies DESC, tick_id, scope_key, agent_id
LIMIT 20;
