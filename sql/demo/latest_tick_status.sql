-- Agents per status per scope in the latest polled tick (a membership tick's skills and
-- queues through the membership valid then), all agents first, then skills, queues, lists.
WITH last AS (
    SELECT tick_id FROM ticks WHERE source = 'poll' ORDER BY ended_at DESC LIMIT 1
),
counts AS (
    SELECT s.scope_key, s.status, count(*) AS agents
    FROM tick_scope_snapshots s JOIN last USING (tick_id)
    GROUP BY ALL
)
SELECT sc.name AS scope,
       sc.scope_key,
       coalesce(sum(agents) FILTER (WHERE status = 'AVAILABLE'), 0)::INTEGER AS available,
       coalesce(sum(agents) FILTER (WHERE status = 'BUSY'), 0)::INTEGER AS busy,
       coalesce(sum(agents) FILTER (WHERE status = 'AWAY'), 0)::INTEGER AS away,
       coalesce(sum(agents) FILTER (WHERE status = 'OFFLINE'), 0)::INTEGER AS offline,
       coalesce(sum(agents) FILTER (WHERE status NOT IN ('AVAILABLE', 'BUSY', 'AWAY', 'OFFLINE')),
                0)::INTEGER AS other
FROM scopes sc
LEFT JOIN counts c USING (scope_key)
GROUP BY sc.name, sc.scope_key, sc.kind
ORDER BY CASE sc.kind WHEN 'all' THEN 0 WHEN 'skill' THEN 1 WHEN 'queue' THEN 2 ELSE 3 END,
         sc.scope_key;
