-- The account's unfinished sync, if any (resumed before a new window is opened).
-- Parameters: $account_id (VARCHAR).
SELECT sync_id, first_sync, from_ts, to_ts, page_size, skill_breakdown, pages_done,
       skip_reached, total_count
FROM contact_volume_syncs
WHERE account_id = $account_id AND completed_at IS NULL
ORDER BY started_at DESC
LIMIT 1;
