-- How the agents of one day's exact history meet the agents listing (membership), for the
-- metadata of a finalized day. Parameter: $day (DATE).
-- History and listing are joined by agent_id (Kore's aId = the listing's id = the availability
-- _id). history_agents: agents with spans that day (accounts with complete history);
-- by_agent_id: of them, listed (any membership row) under the same agent_id; by_user_id_only:
-- not under their agent_id but under their user_id (an identity mismatch: their skills and
-- queues are missed); unlisted: neither (in no skill or queue, or not listed at all).
WITH history AS (
    SELECT DISTINCT h.account_id, h.agent_id, h.user_id
    FROM agent_status_history AS h
    SEMI JOIN coverage_history_accounts($day) AS a
      ON a.account_id = h.account_id
    WHERE h.day = $day
),
matched AS (
    SELECT
        h.*,
        EXISTS (
            SELECT 1 FROM membership AS m
            WHERE m.account_id = h.account_id AND m.agent_id = h.agent_id
        ) AS by_agent_id,
        EXISTS (
            SELECT 1 FROM membership AS m
            WHERE m.account_id = h.account_id AND m.user_id = h.user_id
        ) AS by_user_id
    FROM history AS h
)
SELECT
    count(*) AS history_agents,
    count(*) FILTER (WHERE by_agent_id) AS by_agent_id,
    count(*) FILTER (WHERE NOT by_agent_id AND by_user_id) AS by_user_id_only,
    count(*) FILTER (WHERE NOT by_agent_id AND NOT by_user_id) AS unlisted
FROM matched;
