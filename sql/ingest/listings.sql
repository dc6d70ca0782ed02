-- Land one batch of a tick's answers and add every agent listing of the batch to
-- tick_listings, reading each body ONCE. Runs in the batch's own transaction (one around the
-- whole write for a re-run of a published tick), committed before the next batch is made: a
-- transaction's new rows are held until its commit and copied and logged then, so DuckDB holds
-- one batch, not the tick. The rows stay unpublished while the tick is listed in tick_landing
-- (sql/ingest/withdraw.sql). The batch's rows come registered as incoming_landing
-- (raw_responses columns but the body) and its bodies as the list $bodies (VARCHAR[], in row
-- order): a registered frame stays referenced until the transaction ends, so bodies passed as
-- a parameter are the only copy DuckDB keeps of them. The batches are bounded in size
-- (pipelines/warehouse/ticks.py), so memory stays bounded however many answers a tick has.
-- $tick_id (VARCHAR) and $scope_keys (VARCHAR[], the batch's) pick the batch's rows again.
-- One tick_listings row per agent object with an _id: where it was listed (scope, bucket,
-- 0-based position in the bucket) and the two fields the snapshots need. Every bucket key is
-- read, the four documented ones and any other (a custom status, a bucket Kore adds later),
-- so none is dropped, with one typed parse per body: a map of bucket name -> list of
-- {_id, userId}. A value that is not a list reads as NULL (no listings), an element that is
-- not an object has no _id and is skipped, a non-string _id keeps its JSON text.
INSERT INTO raw_responses BY NAME
SELECT l.*, b.body
FROM incoming_landing l POSITIONAL JOIN (SELECT unnest($bodies::VARCHAR[]) AS body) b;
INSERT INTO tick_listings
WITH buckets AS (
    SELECT scope_key, observed_at,
           unnest(map_entries(from_json(
               body, '"MAP(VARCHAR, STRUCT(_id VARCHAR, userId VARCHAR)[])"'))) AS b
    FROM raw_responses
    WHERE tick_id = $tick_id AND list_contains($scope_keys, scope_key) AND outcome = 'ok'
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
