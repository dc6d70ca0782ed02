-- Record one table and day retired, in the transaction of its DELETE. Parameters:
-- $attempt_id, $table_name, $time_zone, $mode (VARCHAR), $day (DATE), $rows_removed (BIGINT),
-- $file (VARCHAR, NULL when dropped), $file_rows, $file_bytes (BIGINT, NULL when dropped),
-- $retention_days (INTEGER), $done_at (TIMESTAMPTZ).
INSERT INTO retention_runs (attempt_id, table_name, day, time_zone, mode, rows_removed, file,
                            file_rows, file_bytes, retention_days, done_at)
VALUES ($attempt_id, $table_name, $day, $time_zone, $mode, $rows_removed, $file, $file_rows,
        $file_bytes, $retention_days, $done_at);
