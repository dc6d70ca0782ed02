-- Delete one local day's past-age, built status_history_pages rows: exactly those copy_status_history_pages.sql wrote when run
-- in the same transaction. Returns the rows deleted. Parameters: $time_zone (VARCHAR),
-- $day_start, $day_end (TIMESTAMPTZ, the local day's UTC bounds).
-- Needs sql/retention/macros.sql on the connection.
DELETE FROM status_history_pages
WHERE rowid IN (
    SELECT retention_rowid
    FROM retention_status_history_pages($time_zone, $day_start, $day_end)
    WHERE retention_built
);
