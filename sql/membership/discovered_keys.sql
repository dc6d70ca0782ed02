-- The scopes that came from Kore's listing, not the scopes file. Parameters: none.
SELECT scope_key FROM scopes WHERE source = 'discovered' ORDER BY scope_key
