-- The account this DuckDB file belongs to (no row: not claimed yet). No parameters.
SELECT name FROM warehouse_account
