-- Add the skills and queues discovered in Kore's listing to the scopes table (registered as
-- discovered_scopes: scope_key, kind, ref_id, name), as source 'discovered'. A scope the
-- scopes file lists stays a file scope (the file's name wins); a discovered scope takes the
-- latest name. Discovered scopes the file excludes (or does not include, when it has an
-- include list) are removed. Parameters: $now (TIMESTAMPTZ), $exclude (VARCHAR[]),
-- $include (VARCHAR[], or NULL: every discovered scope).
DELETE FROM scopes
WHERE source = 'discovered'
  AND (list_contains($exclude::VARCHAR[], scope_key)
       OR ($include::VARCHAR[] IS NOT NULL AND NOT list_contains($include::VARCHAR[], scope_key)));

INSERT INTO scopes AS t (scope_key, kind, ref_id, name, agent_ids, updated_at, source)
SELECT scope_key, kind, ref_id, name, NULL, $now, 'discovered'
FROM discovered_scopes
WHERE NOT list_contains($exclude::VARCHAR[], scope_key)
  AND ($include::VARCHAR[] IS NULL OR list_contains($include::VARCHAR[], scope_key))
ON CONFLICT (scope_key) DO UPDATE SET
    name = excluded.name,
    updated_at = excluded.updated_at
WHERE t.source = 'discovered' AND t.name IS DISTINCT FROM excluded.name;
