-- The account's last drift check.
-- Parameters: $account_id (VARCHAR).
SELECT max(checked_at) FROM membership_drift WHERE account_id = $account_id
