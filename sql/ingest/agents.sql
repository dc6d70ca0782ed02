-- Upsert the agent objects of one batch of a tick's answers (tick_agents, filled by
-- sql/ingest/agents_fetch.sql): latest names, contact fields and the whole object, one row
-- per agent; keep their channel capacity in tick_capacity for the tick's last transaction
-- (sql/ingest/capacity.sql); empty tick_agents for the next batch. Runs in the batch's own
-- transaction: an agent's row records what an answer said of the agent (its first and last
-- sighting), so it may be written before the tick is published. observed_at is the agent's
-- latest observation in the tick. No parameters.
INSERT INTO agents AS t (agent_id, user_id, first_name, last_name, email, phone, custom_id,
                         is_digital_enabled, attributes, first_seen_at, last_seen_at)
SELECT agent_id, a.userId, a.firstName, a.lastName, a.emailId, a.phoneNumber, a.customId,
       a.isDigitalEnabled, raw, observed_at, observed_at
FROM tick_agents
ON CONFLICT (agent_id) DO UPDATE SET
    user_id = excluded.user_id,
    first_name = excluded.first_name,
    last_name = excluded.last_name,
    email = excluded.email,
    phone = excluded.phone,
    custom_id = excluded.custom_id,
    is_digital_enabled = excluded.is_digital_enabled,
    attributes = excluded.attributes,
    first_seen_at = least(t.first_seen_at, excluded.first_seen_at),
    last_seen_at = greatest(t.last_seen_at, excluded.last_seen_at);

INSERT INTO tick_capacity
SELECT observed_at, agent_id, c.key, c.value.isEnabled, c.value.totalCapacity,
       c.value.usedCapacity, c.value.availableCapacity
FROM (SELECT agent_id, observed_at, unnest(map_entries(a.channelCapacity)) AS c
      FROM tick_agents
      WHERE a.channelCapacity IS NOT NULL);

DELETE FROM tick_agents;
