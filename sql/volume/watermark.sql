-- The watermark: the latest interval end fully fetched (to_ts of a completed sync); NULL
-- before the first sync completed.
-- Parameters: $account_id (VARCHAR).
SELECT max(to_ts) FROM contact_volume_syncs
WHERE account_id = $account_id AND completed_at IS NOT NULL;
