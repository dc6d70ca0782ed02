-- When each scope was last asked, so a tick short of budget serves the stalest first
-- (published answers only: migration 012). Parameters: none.
SELECT scope_key, max(requested_at)
FROM raw_responses
WHERE tick_id NOT IN (SELECT tick_id FROM tick_landing)
GROUP BY scope_key
