-- Publish the channel capacity kept for one tick ($tick_id, VARCHAR) by sql/ingest/agents.sql
-- (tick_capacity): one row per agent and channel of the agent objects the tick keeps. Runs in
-- the tick's last transaction, beside its snapshots and its ticks row.
INSERT INTO channel_capacity (tick_id, observed_at, agent_id, channel, is_enabled,
                              total_capacity, used_capacity, available_capacity)
SELECT $tick_id, observed_at, agent_id, channel, is_enabled, total_capacity, used_capacity,
       available_capacity
FROM tick_capacity;
