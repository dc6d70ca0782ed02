-- The latest drift check of each scope in the last day: Kore's filtered answer for the scope
-- against the member list derived locally from `membership` at the same instant.
-- Parameters: $since (TIMESTAMPTZ).
SELECT
    scope_key,
    checked_at,
    len(missing_agent_ids) AS missing,
    len(extra_agent_ids) AS extra,
    array_to_string(missing_agent_ids[1:10], ', ') AS missing_agents,
    array_to_string(extra_agent_ids[1:10], ', ') AS extra_agents
FROM membership_drift
WHERE checked_at >= $since
QUALIFY row_number() OVER (PARTITION BY account_id, scope_key ORDER BY checked_at DESC) = 1
ORDER BY missing + extra DESC, scope_key
