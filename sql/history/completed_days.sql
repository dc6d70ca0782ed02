-- Local days of the account whose history is complete (a page said hasMore = false).
-- Parameters: $account_id (VARCHAR), $first, $last (DATE, inclusive).
SELECT DISTINCT day FROM status_history_fetches
WHERE account_id = $account_id AND completed_at IS NOT NULL AND day BETWEEN $first AND $last
ORDER BY day;
