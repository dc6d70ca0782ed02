-- Write one local day's past-age, built contact_volume_pages rows to a Parquet file (zstd). Returns the rows
-- written. Runs inside the transaction that then deletes the same rows (contact_volume_pages's delete file),
-- so both see the same rows. Parameters: $time_zone (VARCHAR), $day_start, $day_end
-- (TIMESTAMPTZ, the local day's UTC bounds), $path (VARCHAR, a temporary file name).
-- Needs sql/retention/macros.sql on the connection.
COPY (
    SELECT * EXCLUDE (retention_rowid, retention_day, retention_built)
    FROM retention_contact_volume_pages($time_zone, $day_start, $day_end)
    WHERE retention_built
) TO $path (FORMAT parquet, COMPRESSION zstd);
