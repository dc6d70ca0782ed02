-- Every agent listing of one tick ($tick_id), read from its landed bodies ONCE, for
-- sql/ingest/snapshots.sql and sql/ingest/agents.sql (run in that order, same transaction;
-- agents.sql drops the table). One row per agent object with an _id: where it was listed
-- (scope, bucket, 0-based position in the bucket) and the two fields the snapshots need.
-- Every bucket key is read, the four documented ones and any other (a custom status, a
-- bucket Kore adds later), so none is dropped, with one typed parse per body: a map of bucket
-- name -> list of {_id, userId}. A value that is not a list reads as NULL (no listings), an
-- element that is not an object has no _id and is skipped, a non-string _id keeps its JSON
-- text.
CREATE OR REPLACE TEMP TABLE tick_listings AS
WITH buckets AS (
    SELECT scope_key, observed_at,
           unnest(map_entries(from_json(
               body, '"MAP(VARCHAR, STRUCT(_id VARCHAR, userId VARCHAR)[])"'))) AS b
    FROM raw_responses
    WHERE tick_id = $tick_id AND outcome = 'ok'
),
listed AS (
    SELECT scope_key, observed_at, b.key AS status,
           unnest(b.value) AS a, generate_subscripts(b.value, 1) - 1 AS idx
    FROM buckets
)
SELECT scope_key, observed_at, status, idx::INTEGER AS idx, a._id AS agent_id,
       a.userId AS user_id
FROM listed
WHERE a._id IS NOT NULL;
