-- Upsert the agents seen in one tick ($tick_id): latest names, contact fields and channel
-- capacity, one row per agent. The agent object's documented fields are read with a typed
-- schema; the full raw object stays in raw_responses.body.
CREATE OR REPLACE TEMP TABLE tick_agents AS
WITH src AS (
    SELECT observed_at, body
    FROM raw_responses
    WHERE tick_id = $tick_id AND outcome = 'ok'
),
entries AS (
    SELECT observed_at, unnest(map_entries(body::JSON::MAP(VARCHAR, JSON))) AS e
    FROM src
),
objects AS (
    SELECT observed_at,
           unnest(CASE WHEN json_type(e.value) = 'ARRAY' THEN e.value::JSON[] ELSE []::JSON[] END)
               AS o
    FROM entries
),
typed AS (
    SELECT observed_at, o AS raw,
           from_json(o, '{"_id": "VARCHAR", "userId": "VARCHAR", "firstName": "VARCHAR",
                          "lastName": "VARCHAR", "emailId": "VARCHAR", "customId": "VARCHAR",
                          "phoneNumber": "VARCHAR", "isDigitalEnabled": "BOOLEAN",
                          "channelCapacity":
                            "MAP(VARCHAR, STRUCT(isEnabled BOOLEAN, totalCapacity INTEGER, usedCapacity INTEGER, availableCapacity INTEGER))"
                         }') AS a
    FROM objects
)
SELECT a._id AS agent_id,
       arg_max(a, observed_at) AS a,
       arg_max(raw, observed_at) AS raw,
       max(observed_at) AS observed_at
FROM typed
WHERE a._id IS NOT NULL
GROUP BY a._id;

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
