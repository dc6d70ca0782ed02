-- Write one local day's past-age, built raw_responses rows to a Parquet file (zstd). Returns the rows
-- written. Runs inside the transaction that then deletes the same rows (raw_responses's delete file),
-- so both see the same rows. Parameters: $time_zone (VARCHAR), $day_start, $day_end
-- (TIMESTAMPTZ, the local day's UTC bounds), $path (VARCHAR, a temporary file name).
-- Needs sql/retention/macros.sql on the connection.
COPY (
    SELECT * EXCLUDE (retention_rowid, retention_day, retention_built)
    FROM retention_raw_responses($time_zone, $day_start, $day_end)
    WHERE retention_built
) TO $path (FORMAT parquet, COMPRESSION zstd);
