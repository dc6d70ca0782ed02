-- Make the scopes table match the scopes file (registered as incoming_scopes).
DELETE FROM scopes WHERE scope_key NOT IN (SELECT scope_key FROM incoming_scopes);

INSERT INTO scopes (scope_key, kind, ref_id, name, agent_ids, updated_at)
SELECT scope_key, kind, ref_id, name, agent_ids, $now
FROM incoming_scopes
ON CONFLICT (scope_key) DO UPDATE SET
    kind = excluded.kind,
    ref_id = excluded.ref_id,
    name = excluded.name,
    agent_ids = excluded.agent_ids,
    updated_at = excluded.updated_at;
