-- Upsert the agents seen in one tick ($tick_id): latest names, contact fields and channel
-- capacity, one row per agent. Uses tick_listings (sql/ingest/listings.sql) and drops it.
-- Each agent's object is taken from ONE of its listings in the tick: the one in the body
-- listing the most agents (the 'all' scope, typically), then by scope key, documented bucket
-- first, position. So only a few bodies are read again, each parsed once for all its chosen
-- agents, instead of every listing going through the generic JSON path. The whole object
-- (unknown fields included) becomes `attributes`; its documented fields are read with a
-- typed schema. observed_at is the agent's latest observation in the tick.
CREATE OR REPLACE TEMP TABLE tick_agents AS
WITH listed AS (
    SELECT scope_key, count(*) AS listings FROM tick_listings GROUP BY scope_key
),
chosen AS MATERIALIZED (
    SELECT agent_id, pick.scope_key AS scope_key, pick.status AS status, pick.idx AS idx,
           pick.status IN ('AVAILABLE', 'BUSY', 'AWAY', 'OFFLINE') AS documented, observed_at
    FROM (
        SELECT agent_id, max(observed_at) AS observed_at,
               arg_min({'scope_key': scope_key, 'status': status, 'idx': idx},
                       {'listings': -listings, 'scope_key': scope_key,
                        'other': status NOT IN ('AVAILABLE', 'BUSY', 'AWAY', 'OFFLINE'),
                        'status': status, 'idx': idx}) AS pick
        FROM tick_listings
        JOIN listed USING (scope_key)
        GROUP BY agent_id
    )
),
picked_bodies AS (
    SELECT scope_key, bool_or(NOT documented) AS other_buckets FROM chosen GROUP BY scope_key
),
bodies AS (
    SELECT p.scope_key,
           from_json(r.body, '{"AVAILABLE": ["JSON"], "BUSY": ["JSON"], "AWAY": ["JSON"],
                               "OFFLINE": ["JSON"]}') AS j,
           CASE WHEN p.other_buckets THEN r.body::JSON::MAP(VARCHAR, JSON) END AS m
    FROM picked_bodies p
    JOIN raw_responses r ON r.tick_id = $tick_id AND r.scope_key = p.scope_key
),
fetched AS (
    SELECT c.agent_id, c.observed_at,
           CASE c.status
               WHEN 'AVAILABLE' THEN b.j.AVAILABLE[c.idx + 1]
               WHEN 'BUSY' THEN b.j.BUSY[c.idx + 1]
               WHEN 'AWAY' THEN b.j.AWAY[c.idx + 1]
               WHEN 'OFFLINE' THEN b.j.OFFLINE[c.idx + 1]
               ELSE (b.m[c.status]::JSON[])[c.idx + 1]
           END AS raw
    FROM chosen c
    JOIN bodies b USING (scope_key)
)
SELECT agent_id,
       from_json(raw, '{"_id": "VARCHAR", "userId": "VARCHAR", "firstName": "VARCHAR",
                        "lastName": "VARCHAR", "emailId": "VARCHAR", "customId": "VARCHAR",
                        "phoneNumber": "VARCHAR", "isDigitalEnabled": "BOOLEAN",
                        "channelCapacity":
                          "MAP(VARCHAR, STRUCT(isEnabled BOOLEAN, totalCapacity INTEGER, usedCapacity INTEGER, availableCapacity INTEGER))"
                       }') AS a,
       raw,
       observed_at
FROM fetched;

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
DROP TABLE tick_listings;
