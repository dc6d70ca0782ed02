-- The last drift check of each scope, so the next check asks the least recently checked one.
-- Parameters: $account_id (VARCHAR).
SELECT scope_key, max(checked_at) FROM membership_drift WHERE account_id = $account_id GROUP BY scope_key
