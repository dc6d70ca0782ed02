-- How each account acquired, when that changed: 'membership' (one availability request per
-- tick, membership from Kore's listing) or 'per_scope' with the reason ('auto' fell back
-- because the listing was refused or KORE_ORG_ID is unset). An 'auto' tick reads the latest
-- event so it does not ask a refused listing again every minute.
CREATE TABLE acquisition_events (
    changed_at  TIMESTAMPTZ NOT NULL,
    account_id  VARCHAR NOT NULL,
    mode        VARCHAR NOT NULL,
    reason      VARCHAR
);

-- Requests a tick sent to Kore, every endpoint and retry included (a membership tick's one
-- availability request plus its listing pages and drift check). NULL for older ticks.
ALTER TABLE ticks ADD COLUMN requests INTEGER;

-- Every scope's statuses at every tick: snapshots as stored (per-scope ticks, and each
-- membership tick's 'all' answer), plus each membership-mode 'all' answer counted for every
-- skill and queue through the membership valid at its observation time, and for every named
-- agent list (scopes of kind 'agents') through its agent IDs.
CREATE VIEW tick_scope_snapshots AS
SELECT tick_id, scope_key, observed_at, agent_id, user_id, status
FROM snapshots
UNION ALL
SELECT s.tick_id, m.scope_key, s.observed_at, s.agent_id, s.user_id, s.status
FROM snapshots AS s
JOIN ticks AS t
  ON t.tick_id = s.tick_id
JOIN membership AS m
  ON m.account_id = t.account_id
 AND m.agent_id = s.agent_id
 AND s.observed_at >= m.valid_from
 AND (m.valid_to IS NULL OR s.observed_at < m.valid_to)
WHERE t.mode = 'membership' AND s.scope_key = 'all'
UNION ALL
SELECT s.tick_id, sc.scope_key, s.observed_at, s.agent_id, s.user_id, s.status
FROM snapshots AS s
JOIN ticks AS t
  ON t.tick_id = s.tick_id
JOIN scopes AS sc
  ON sc.kind = 'agents' AND list_contains(sc.agent_ids, s.agent_id)
WHERE t.mode = 'membership' AND s.scope_key = 'all';
