-- Derive normalized snapshot rows for one tick ($tick_id) from its listings (tick_listings,
-- made from the landed bodies by sql/ingest/listings.sql). Runs in the tick's last transaction.
-- An agent listed twice in one answer (two buckets, or twice in one) is stored ONCE per
-- (tick, scope), with the status chosen by the precedence the coverage SQL uses:
-- BUSY > AVAILABLE > AWAY > any other status (alphabetically) > OFFLINE. The raw body keeps
-- both listings; snapshots keep the one-row-per-agent rule that the duplicates check asserts.
-- (A grouped arg_min, not a window: a hash aggregate, several times faster on a tick.)
INSERT INTO snapshots (tick_id, scope_key, observed_at, agent_id, user_id, status)
SELECT $tick_id, scope_key, pick.observed_at, agent_id, pick.user_id, pick.status
FROM (
    SELECT scope_key, agent_id,
           arg_min({'observed_at': observed_at, 'user_id': user_id, 'status': status},
                   {'rank': status_rank(status), 'status': status}) AS pick
    FROM tick_listings
    GROUP BY scope_key, agent_id
);
