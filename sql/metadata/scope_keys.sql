SELECT scope_key FROM scopes ORDER BY scope_key;
