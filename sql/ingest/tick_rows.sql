-- Snapshot rows one tick wrote (the figure a materialization reports).
-- Parameters: $tick_id (VARCHAR).
SELECT count(*) FROM snapshots WHERE tick_id = $tick_id
