-- The skills and queues discovered from Kore's listing (scopes.source = 'discovered').
-- Parameters: none.
SELECT kind, ref_id, name FROM scopes WHERE source = 'discovered' ORDER BY scope_key
