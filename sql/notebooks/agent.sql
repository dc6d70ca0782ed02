-- Who the agent is (latest attributes) and which scopes listed them in [$start, $end).
SELECT
    a.agent_id,
    a.first_name,
    a.last_name,
    a.email,
    (
        SELECT list(DISTINCT sp.scope_key ORDER BY sp.scope_key)
        FROM agent_status_spans AS sp
        WHERE sp.agent_id = $agent_id AND sp.span_end > $start AND sp.span_start < $end
    ) AS scopes
FROM agents AS a
WHERE a.agent_id = $agent_id;
