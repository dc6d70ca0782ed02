-- Send times already spent from an account's per-minute budget, by any process.
-- Parameters: $account_id (VARCHAR), $since (TIMESTAMPTZ: the start of the rate window).
SELECT sent_at FROM request_log WHERE account_id = $account_id AND sent_at >= $since ORDER BY sent_at
