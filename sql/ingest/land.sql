-- Land one tick: replace any earlier write of the same tick, then insert its raw answers and
-- its request sends (registered as incoming_landing and incoming_sends). Runs inside the
-- tick's transaction, before listings.sql, snapshots.sql and agents.sql derive the rest.
-- Parameters: $tick_id (VARCHAR).
DELETE FROM snapshots WHERE tick_id = $tick_id;
DELETE FROM channel_capacity WHERE tick_id = $tick_id;
DELETE FROM raw_responses WHERE tick_id = $tick_id;
DELETE FROM ticks WHERE tick_id = $tick_id;
INSERT INTO raw_responses BY NAME SELECT * FROM incoming_landing;
INSERT INTO request_log BY NAME SELECT * FROM incoming_sends;
