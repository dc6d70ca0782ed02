-- Drop one tick write's working tables (sql/ingest/land.sql, sql/ingest/agents_chosen.sql),
-- whether the write was published or failed. No parameters.
DROP TABLE IF EXISTS tick_listings;
DROP TABLE IF EXISTS tick_capacity;
DROP TABLE IF EXISTS tick_chosen;
DROP TABLE IF EXISTS tick_agents;
