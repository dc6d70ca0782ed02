-- Make the file's scopes in the scopes table match the scopes file (registered as
-- incoming_scopes). Discovered scopes (source 'discovered', added by
-- pipelines/warehouse/membership.py from Kore's listing) are kept: a tick never deletes them.
-- A scope the file lists becomes a file scope (its name from the file), even if discovered
-- first. Parameters: $now (TIMESTAMPTZ).
DELETE FROM scopes
WHERE source = 'file' AND scope_key NOT IN (SELECT scope_key FROM incoming_scopes);

INSERT INTO scopes (scope_key, kind, ref_id, name, agent_ids, updated_at, source)
SELECT scope_key, kind, ref_id, name, agent_ids, $now, 'file'
FROM incoming_scopes
ON CONFLICT (scope_key) DO UPDATE SET
    kind = excluded.kind,
    ref_id = excluded.ref_id,
    name = excluded.name,
    agent_ids = excluded.agent_ids,
    updated_at = excluded.updated_at,
    source = excluded.source;
