-- One Parquet file (zstd) holding every row of the given files: an earlier archive of a day
-- and the rows archived now (raw rows of a day can land after it was archived, a backfill
-- for one). Columns are matched by name, so a column added by a later migration reads as
-- NULL in older files. Returns the rows written. Parameters: $files (VARCHAR[]), $path
-- (VARCHAR, a temporary file name).
COPY (
    SELECT * FROM read_parquet($files, union_by_name = true)
) TO $path (FORMAT parquet, COMPRESSION zstd);
