-- First step of one tick's write, in a transaction of its own (or the re-run's one): withdraw the answers of ticks
-- whose write died before publishing (listed in tick_landing, migration 012), withdraw any
-- earlier write of this tick ($tick_id, VARCHAR: a re-run replaces it), and list this tick as
-- being landed ($started_at, TIMESTAMPTZ). Until the tick's last transaction removes it from
-- tick_landing, readers of raw_responses skip its rows.
DELETE FROM raw_responses WHERE tick_id IN (SELECT tick_id FROM tick_landing);
DELETE FROM tick_landing;
DELETE FROM ticks WHERE tick_id = $tick_id;
DELETE FROM snapshots WHERE tick_id = $tick_id;
DELETE FROM channel_capacity WHERE tick_id = $tick_id;
DELETE FROM request_log WHERE tick_id = $tick_id;
DELETE FROM raw_responses WHERE tick_id = $tick_id;
INSERT INTO tick_landing VALUES ($tick_id, $started_at);
