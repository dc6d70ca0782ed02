-- Upsert the agents seen in one tick ($tick_id): latest names, contact fields and channel
-- capacity, one row per agent, from tick_agents (filled by sql/ingest/agents_fetch.sql, one
-- batch of bodies at a time); drops the tick's temporary tables. observed_at is the agent's
-- latest observation in the tick.
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

INSERT INTO channel_capacity (tick_id, observed_at, agent_id, channel, is_enabled,
                              total_capacity, used_capacity, available_capacity)
SELECT $tick_id, observed_at, agent_id, c.key, c.value.isEnabled, c.value.totalCapacity,
       c.value.usedCapacity, c.value.availableCapacity
FROM (SELECT agent_id, observed_at, unnest(map_entries(a.channelCapacity)) AS c
      FROM tick_agents
      WHERE a.channelCapacity IS NOT NULL);

DROP TABLE tick_agents;
DROP TABLE tick_chosen;
DROP TABLE tick_listings;
