-- Apply one complete membership listing of an account at $refreshed_at (inside one
-- transaction, run by pipelines/warehouse/membership.py). The listing is the relation
-- membership_listing (agent_id, user_id, scope_key, kind, ref_id, name): a registered frame,
-- or a temp table made from a refresh's staged pages.
-- Parameters: $account_id (VARCHAR), $refreshed_at (TIMESTAMPTZ).
--
-- Plan first (one full outer join of the open rows with the listing), then apply in bulk:
-- open rows no longer listed are closed at $refreshed_at (or deleted when they were opened
-- at that very instant: they never held), listed pairs without an open row are opened from
-- $refreshed_at, and kept rows take the latest user_id, kind, ref_id and name. Applying the
-- same listing again changes nothing.
CREATE OR REPLACE TEMP TABLE membership_plan AS
WITH listed AS (
    SELECT agent_id, scope_key, max(user_id) AS user_id, max(kind) AS kind,
           max(ref_id) AS ref_id, max(name) AS name
    FROM membership_listing
    GROUP BY agent_id, scope_key
),
still_open AS (
    SELECT agent_id, scope_key, valid_from, user_id, kind, ref_id, name
    FROM membership
    WHERE account_id = $account_id AND valid_to IS NULL
)
SELECT
    coalesce(l.agent_id, o.agent_id) AS agent_id,
    coalesce(l.scope_key, o.scope_key) AS scope_key,
    l.user_id,
    l.kind,
    l.ref_id,
    l.name,
    o.valid_from AS open_from,
    CASE
        WHEN o.agent_id IS NULL THEN 'open'
        WHEN l.agent_id IS NULL THEN 'close'
        WHEN (l.user_id, l.kind, l.ref_id, l.name)
             IS DISTINCT FROM (o.user_id, o.kind, o.ref_id, o.name) THEN 'update'
        ELSE 'keep'
    END AS action
FROM listed AS l
FULL OUTER JOIN still_open AS o
  ON o.agent_id = l.agent_id AND o.scope_key = l.scope_key;

DELETE FROM membership AS m
USING membership_plan AS p
WHERE p.action = 'close' AND p.open_from = $refreshed_at
  AND m.account_id = $account_id AND m.valid_to IS NULL
  AND m.agent_id = p.agent_id AND m.scope_key = p.scope_key;

UPDATE membership AS m
SET valid_to = $refreshed_at
FROM membership_plan AS p
WHERE p.action = 'close'
  AND m.account_id = $account_id AND m.valid_to IS NULL
  AND m.agent_id = p.agent_id AND m.scope_key = p.scope_key;

UPDATE membership AS m
SET user_id = p.user_id, kind = p.kind, ref_id = p.ref_id, name = p.name
FROM membership_plan AS p
WHERE p.action = 'update'
  AND m.account_id = $account_id AND m.valid_to IS NULL
  AND m.agent_id = p.agent_id AND m.scope_key = p.scope_key;

INSERT INTO membership
    (account_id, agent_id, user_id, scope_key, kind, ref_id, name, valid_from, valid_to)
SELECT $account_id, agent_id, user_id, scope_key, kind, ref_id, name, $refreshed_at, NULL
FROM membership_plan
WHERE action = 'open';
