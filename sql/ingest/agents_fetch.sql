-- Read the chosen agent objects (tick_chosen, sql/ingest/agents_chosen.sql) out of one batch
-- of a tick's landed bodies into tick_agents: only the bodies of the scopes in $scope_keys
-- (VARCHAR[]) that hold a chosen object are parsed, so memory is bounded by the batch (the
-- test on $scope_keys comes first: without it DuckDB read every body of the tick each time).
-- $tick_id (VARCHAR) names the tick. Each body's buckets are unnested into one row per
-- object (linear in the body) and joined to the choice by (scope, bucket, position); indexing
-- into a bucket per agent instead made DuckDB copy the whole bucket per agent when it built
-- its hash table on the body side. The whole object (unknown fields included) becomes `raw`;
-- its documented fields are read with a typed schema.
INSERT INTO tick_agents
WITH chosen AS (
    SELECT * FROM tick_chosen WHERE list_contains($scope_keys, scope_key)
),
buckets AS (
    SELECT r.scope_key,
           unnest(map_entries(from_json(r.body, '"MAP(VARCHAR, JSON[])"'))) AS b
    FROM raw_responses r
    WHERE r.tick_id = $tick_id
      AND list_contains($scope_keys, r.scope_key)
      AND r.scope_key IN (SELECT DISTINCT scope_key FROM chosen)
),
objects AS (
    SELECT scope_key, b.key AS status, unnest(b.value) AS raw,
           (generate_subscripts(b.value, 1) - 1)::INTEGER AS idx
    FROM buckets
)
SELECT c.agent_id,
       from_json(o.raw, '{"_id": "VARCHAR", "userId": "VARCHAR", "firstName": "VARCHAR",
                        "lastName": "VARCHAR", "emailId": "VARCHAR", "customId": "VARCHAR",
                        "phoneNumber": "VARCHAR", "isDigitalEnabled": "BOOLEAN",
                        "channelCapacity":
                          "MAP(VARCHAR, STRUCT(isEnabled BOOLEAN, totalCapacity INTEGER, usedCapacity INTEGER, availableCapacity INTEGER))"
                       }') AS a,
       o.raw,
       c.observed_at
FROM chosen c
JOIN objects o USING (scope_key, status, idx);
