-- The connection's working tables for one tick's write (temporary: never in the database
-- file, gone with the connection): tick_listings, every agent listing of the tick's answers,
-- filled batch by batch by sql/ingest/listings.sql; tick_capacity, the channel capacity of
-- the agent objects the tick keeps, filled batch by batch by sql/ingest/agents.sql and
-- published by sql/ingest/capacity.sql. No parameters.
CREATE OR REPLACE TEMP TABLE tick_listings (
    scope_key VARCHAR, observed_at TIMESTAMPTZ, status VARCHAR, idx INTEGER,
    agent_id VARCHAR, user_id VARCHAR);
CREATE OR REPLACE TEMP TABLE tick_capacity (
    observed_at TIMESTAMPTZ, agent_id VARCHAR, channel VARCHAR, is_enabled BOOLEAN,
    total_capacity INTEGER, used_capacity INTEGER, available_capacity INTEGER);
