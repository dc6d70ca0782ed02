-- Agents per status per scope of one membership-mode tick: its 'all' answer, and each skill
-- and queue through the membership valid at the observation time (as coverage counts them).
-- Parameters: $tick_id (VARCHAR).
SELECT s.scope_key, s.status, count(*) AS agents
FROM snapshots AS s
WHERE s.tick_id = $tick_id
GROUP BY ALL
UNION ALL
SELECT m.scope_key, s.status, count(*) AS agents
FROM snapshots AS s
JOIN ticks AS t
  ON t.tick_id = s.tick_id
JOIN membership AS m
  ON m.account_id = t.account_id
 AND m.agent_id = s.agent_id
 AND s.observed_at >= m.valid_from
 AND (m.valid_to IS NULL OR s.observed_at < m.valid_to)
WHERE s.tick_id = $tick_id AND s.scope_key = 'all'
GROUP BY ALL
