-- The account's refresh still collecting pages (the newest, if several), to resume it.
-- Parameters: $account_id (VARCHAR).
SELECT refresh_id, started_at, total_pages
FROM membership_refreshes
WHERE account_id = $account_id AND NOT complete
ORDER BY started_at DESC
LIMIT 1
