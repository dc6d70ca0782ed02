-- The account's latest acquisition event (see migration 006).
-- Parameters: $account_id (VARCHAR).
SELECT changed_at, mode, reason FROM acquisition_events WHERE account_id = $account_id ORDER BY changed_at DESC LIMIT 1
