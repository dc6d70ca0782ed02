-- Agents per status per scope of one tick, every skill and queue of a membership-mode tick
-- included (view tick_scope_snapshots, migration 006).
-- Parameters: $tick_id (VARCHAR).
SELECT scope_key, status, count(*) AS agents
FROM tick_scope_snapshots
WHERE tick_id = $tick_id
GROUP BY ALL
