-- Derive normalized snapshot rows for one tick ($tick_id) from its raw landing rows.
-- The four documented buckets are read with a typed schema (fast, vectorized); any other
-- bucket key (a custom status, a bucket Kore adds later) goes through the generic JSON path
-- so it is kept, never dropped. Only bodies that have such keys pay for that path.
-- An agent listed twice in one answer (two buckets, or twice in one) is stored ONCE per
-- (tick, scope), with the status chosen by the precedence the coverage SQL uses:
-- BUSY > AVAILABLE > AWAY > any other status (alphabetically) > OFFLINE. The raw body keeps
-- both listings; snapshots keep the one-row-per-agent rule that the duplicates check asserts.
INSERT INTO snapshots (tick_id, scope_key, observed_at, agent_id, user_id, status)
WITH src AS (
    SELECT tick_id, scope_key, observed_at, body
    FROM raw_responses
    WHERE tick_id = $tick_id AND outcome = 'ok'
),
typed AS (
    SELECT tick_id, scope_key, observed_at,
           from_json(body, '{"AVAILABLE": [{"_id": "VARCHAR", "userId": "VARCHAR"}],
                             "BUSY":      [{"_id": "VARCHAR", "userId": "VARCHAR"}],
                             "AWAY":      [{"_id": "VARCHAR", "userId": "VARCHAR"}],
                             "OFFLINE":   [{"_id": "VARCHAR", "userId": "VARCHAR"}]}') AS j
    FROM src
),
known_buckets AS (
    SELECT tick_id, scope_key, observed_at,
           unnest([{'status': 'AVAILABLE', 'agents': j.AVAILABLE},
                   {'status': 'BUSY', 'agents': j.BUSY},
                   {'status': 'AWAY', 'agents': j.AWAY},
                   {'status': 'OFFLINE', 'agents': j.OFFLINE}]) AS b
    FROM typed
),
known AS (
    SELECT tick_id, scope_key, observed_at, b.status AS status, unnest(b.agents) AS a
    FROM known_buckets
),
other_entries AS (
    SELECT tick_id, scope_key, observed_at,
           unnest(map_entries(body::JSON::MAP(VARCHAR, JSON))) AS e
    FROM src
    WHERE NOT list_has_all(['AVAILABLE', 'BUSY', 'AWAY', 'OFFLINE'], json_keys(body))
),
other AS (
    SELECT tick_id, scope_key, observed_at, e.key AS status,
           unnest(CASE WHEN json_type(e.value) = 'ARRAY' THEN e.value::JSON[] ELSE []::JSON[] END)
               AS a
    FROM other_entries
    WHERE e.key NOT IN ('AVAILABLE', 'BUSY', 'AWAY', 'OFFLINE')
),
listed AS (
    SELECT tick_id, scope_key, observed_at, a._id AS agent_id, a.userId AS user_id, status
    FROM known
    WHERE a._id IS NOT NULL
    UNION ALL
    SELECT tick_id, scope_key, observed_at, a ->> '_id', a ->> 'userId', status
    FROM other
    WHERE a ->> '_id' IS NOT NULL
)
SELECT tick_id, scope_key, observed_at, agent_id, user_id, status
FROM listed
QUALIFY row_number() OVER (
    PARTITION BY tick_id, scope_key, agent_id
    ORDER BY CASE status
                 WHEN 'BUSY' THEN 1
                 WHEN 'AVAILABLE' THEN 2
                 WHEN 'AWAY' THEN 3
                 WHEN 'OFFLINE' THEN 5
                 ELSE 4
             END,
             status
) = 1;
