-- The DuckDB file's blocks: total, used and free (a DELETE frees blocks at the next
-- checkpoint; the file keeps its size and reuses them). Parameters: none.
SELECT block_size, total_blocks, used_blocks, free_blocks, wal_size
FROM pragma_database_size()
WHERE database_name = current_database();
