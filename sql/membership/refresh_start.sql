-- Start a membership refresh. Parameters: $refresh_id, $account_id (VARCHAR),
-- $started_at (TIMESTAMPTZ).
INSERT INTO membership_refreshes
    (refresh_id, account_id, started_at, completed_at, total_pages, pages, agents,
     rows_opened, rows_closed, complete)
VALUES ($refresh_id, $account_id, $started_at, NULL, NULL, 0, 0, 0, 0, false);
