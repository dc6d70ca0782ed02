-- What is stored of one account's local day: the fetch that completed it and its rows.
-- Parameters: $account_id (VARCHAR), $day (DATE).
SELECT
    (SELECT count(*) FROM agent_status_history WHERE account_id = $account_id AND day = $day)
        AS spans,
    (SELECT count(DISTINCT agent_id) FROM agent_status_history
     WHERE account_id = $account_id AND day = $day) AS agents,
    (SELECT max(completed_at) FROM status_history_fetches
     WHERE account_id = $account_id AND day = $day) AS completed_at;
