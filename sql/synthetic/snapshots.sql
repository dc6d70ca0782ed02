-- Snapshot rows of one chunk: what a perfect poller would have seen at every tick.
-- history_spans holds the simulator's true status spans, each already turned into the
-- half-open range [k0, k1) of tick numbers it covers (a span [s, e) holds tick t exactly when
-- s <= t < e), so the status at each (tick, agent) is one unnest, with no join on time.
-- history_members lists (scope_key, agent_id, user_id, k0, k1): an agent of a scope is listed
-- at every tick k0 <= k < k1 it is a member at (membership may change during a day), OFFLINE
-- ones included, as the real API does.
INSERT INTO snapshots (tick_id, scope_key, observed_at, agent_id, user_id, status)
WITH held AS (
    SELECT agent_id, status, unnest(range(k0, k1)) AS k
    FROM history_spans
)
SELECT t.tick_id, m.scope_key, t.tick_at, m.agent_id, m.user_id, h.status
FROM held AS h
JOIN history_members AS m ON m.agent_id = h.agent_id AND h.k >= m.k0 AND h.k < m.k1
JOIN history_ticks AS t ON t.k = h.k;
