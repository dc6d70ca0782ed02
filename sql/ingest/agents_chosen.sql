-- Which listing of one tick each agent's object is taken from (for sql/ingest/agents_fetch.sql
-- and sql/ingest/agents.sql): the one in the body listing the most agents (the 'all' scope,
-- typically), then by scope key, documented bucket first, position. So only a few bodies are
-- read again, each parsed once for all its chosen agents. Made once from tick_listings after
-- every batch of the tick is landed, together with the empty tick_agents table the fetches
-- fill and sql/ingest/agents.sql empties, batch by batch. No parameters.
CREATE OR REPLACE TEMP TABLE tick_chosen AS
WITH listed AS (
    SELECT scope_key, count(*) AS listings FROM tick_listings GROUP BY scope_key
)
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
);
CREATE OR REPLACE TEMP TABLE tick_agents (
    agent_id VARCHAR,
    a STRUCT(_id VARCHAR, userId VARCHAR, firstName VARCHAR, lastName VARCHAR,
             emailId VARCHAR, customId VARCHAR, phoneNumber VARCHAR, isDigitalEnabled BOOLEAN,
             channelCapacity MAP(VARCHAR, STRUCT(isEnabled BOOLEAN, totalCapacity INTEGER,
                                                 usedCapacity INTEGER, availableCapacity INTEGER))),
    raw JSON,
    observed_at TIMESTAMPTZ);
