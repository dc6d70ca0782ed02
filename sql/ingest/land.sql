-- Open one tick's write: replace any earlier write of the same tick, record its request sends
-- (registered as incoming_sends) and create the empty tick_listings table that
-- sql/ingest/listings.sql fills batch by batch. Runs inside the tick's transaction, before the
-- batches; snapshots.sql, agents_chosen.sql, agents_fetch.sql and agents.sql follow them.
-- Parameters: $tick_id (VARCHAR).
DELETE FROM snapshots WHERE tick_id = $tick_id;
DELETE FROM channel_capacity WHERE tick_id = $tick_id;
DELETE FROM raw_responses WHERE tick_id = $tick_id;
DELETE FROM ticks WHERE tick_id = $tick_id;
INSERT INTO request_log BY NAME SELECT * FROM incoming_sends;
CREATE OR REPLACE TEMP TABLE tick_listings (
    scope_key VARCHAR, observed_at TIMESTAMPTZ, status VARCHAR, idx INTEGER,
    agent_id VARCHAR, user_id VARCHAR);
