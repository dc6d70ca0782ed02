-- The configured scopes, in the order the notebooks list them: all agents, skills, queues,
-- named agent lists.
SELECT scope_key, kind, name
FROM scopes
ORDER BY
    CASE kind WHEN 'all' THEN 0 WHEN 'skill' THEN 1 WHEN 'queue' THEN 2 ELSE 3 END,
    name,
    scope_key;
