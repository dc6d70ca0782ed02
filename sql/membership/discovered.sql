-- The skills and queues Kore's listing knows: those discovered from it, and those the scopes
-- file lists that the membership history holds (a file scope keeps its row and its name).
-- Parameters: none.
SELECT kind, ref_id, name
FROM scopes
WHERE kind IN ('skill', 'queue')
  AND (source = 'discovered' OR scope_key IN (SELECT scope_key FROM membership))
ORDER BY scope_key
