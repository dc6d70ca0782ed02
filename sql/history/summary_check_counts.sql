-- What the stored cross-check of one account's local day holds: rows (user x interval x
-- status), rows whose seconds differ, users. Parameters: $account_id (VARCHAR), $day (DATE).
SELECT count(*), count(*) FILTER (WHERE differs), count(DISTINCT user_id)
FROM status_summary_checks
WHERE account_id = $account_id AND day = $day;
