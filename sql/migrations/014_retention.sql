-- Retention of raw landing bodies (pipelines/retention): one row per table and local day whose
-- past-age rows were archived to a Parquet file and deleted, or dropped. Written in the same
-- transaction as the DELETE it records, so a row here means "the delete committed": a
-- retention run that finds an archive file still under its temporary name renames it into place
-- when its attempt is recorded here, and discards it when it is not (the delete rolled back and
-- the rows are still in the table).
CREATE TABLE retention_runs (
    attempt_id     VARCHAR PRIMARY KEY,     -- random, also in the temporary file's name
    table_name     VARCHAR NOT NULL,        -- raw_responses | status_history_pages | contact_volume_pages
    day            DATE NOT NULL,           -- local day (AVAILABILITY_TIME_ZONE) of the rows
    time_zone      VARCHAR NOT NULL,
    mode           VARCHAR NOT NULL,        -- 'archive' (Parquet, zstd) or 'drop'
    rows_removed   BIGINT NOT NULL,         -- rows deleted from table_name
    file           VARCHAR,                 -- archive mode: the file, relative to the archive folder
    file_rows      BIGINT,                  -- rows the file holds (earlier archives of the day included)
    file_bytes     BIGINT,
    retention_days INTEGER NOT NULL,        -- AVAILABILITY_RAW_RETENTION_DAYS when it ran
    done_at        TIMESTAMPTZ NOT NULL
);
