-- Delete one local day's past-age, built raw_responses rows: exactly those copy_raw_responses.sql wrote when run
-- in the same transaction. Returns the rows deleted. Parameters: $time_zone (VARCHAR),
-- $day_start, $day_end (TIMESTAMPTZ, the local day's UTC bounds).
-- Needs sql/retention/macros.sql on the connection.
DELETE FROM raw_responses
WHERE rowid IN (
    SELECT retention_rowid
    FROM retention_raw_responses($time_zone, $day_start, $day_end)
    WHERE retention_built
);
