-- Delete one local day's past-age, built contact_volume_pages rows: exactly those copy_contact_volume_pages.sql wrote when run
-- in the same transaction. Returns the rows deleted. Parameters: $time_zone (VARCHAR),
-- $day_start, $day_end (TIMESTAMPTZ, the local day's UTC bounds).
-- Needs sql/retention/macros.sql on the connection.
DELETE FROM contact_volume_pages
WHERE rowid IN (
    SELECT retention_rowid
    FROM retention_contact_volume_pages($time_zone, $day_start, $day_end)
    WHERE retention_built
);
