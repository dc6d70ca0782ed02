-- When the account's membership was last refreshed completely, and whether a refresh is
-- collecting pages now (it is then resumed, whatever the cadence).
-- Parameters: $account_id (VARCHAR).
SELECT
    max(completed_at) FILTER (WHERE complete) AS last_complete,
    coalesce(bool_or(NOT complete), false) AS pending
FROM membership_refreshes
WHERE account_id = $account_id
