-- The file of the open DuckDB database (NULL in memory): the request ledger lives beside it.
-- Parameters: none.
SELECT path FROM duckdb_databases() WHERE database_name = current_database()
