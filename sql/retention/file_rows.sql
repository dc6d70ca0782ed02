-- Rows of a Parquet file, read back from its footer and row groups: a file cut short cannot
-- be read, so a count here means the file is complete. Parameters: $path (VARCHAR).
SELECT count(*) FROM read_parquet($path);
