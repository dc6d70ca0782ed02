-- Land one page in one go: its rows (registered as volume_page, times already in seconds)
-- replace rows of the same key (restated intervals), the page is recorded (registered as
-- volume_page_log) and the sync advances. Runs inside the page's transaction.
-- Parameters: $sync_id (VARCHAR), $skip_reached, $rows, $restated (INTEGER),
-- $total_count (INTEGER or NULL), $now (TIMESTAMPTZ), $done (BOOLEAN: the window is complete).
INSERT OR REPLACE INTO contact_volume BY NAME SELECT * FROM volume_page;
INSERT INTO contact_volume_pages BY NAME SELECT * FROM volume_page_log;
UPDATE contact_volume_syncs
SET pages_done = pages_done + 1,
    skip_reached = $skip_reached,
    total_count = coalesce($total_count, total_count),
    rows_written = rows_written + $rows,
    restated_rows = restated_rows + $restated,
    updated_at = $now,
    completed_at = CASE WHEN $done THEN $now END
WHERE sync_id = $sync_id;
