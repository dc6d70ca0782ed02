-- Whether this file has the claim table (a file older than the accounts migration, opened
-- read-only, has not). No parameters.
SELECT count(*) FROM duckdb_tables() WHERE table_name = 'warehouse_account'
