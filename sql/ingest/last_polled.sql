-- When each scope was last asked, so a tick short of budget serves the stalest first.
-- Parameters: none.
SELECT scope_key, max(requested_at) FROM raw_responses GROUP BY scope_key
