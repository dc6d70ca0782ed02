-- Hours per agent, day and status in one scope ($status_scope: 'all' counts every agent once),
-- from the observed status spans; unobserved time is in no status.
SELECT
    sp.day,
    sp.agent_id,
    coalesce(nullif(trim(concat_ws(' ', a.first_name, a.last_name)), ''), sp.agent_id) AS agent,
    sp.status,
    sum(epoch(sp.span_end - sp.span_start)) / 3600 AS hours
FROM agent_status_spans AS sp
LEFT JOIN agents AS a USING (agent_id)
WHERE sp.scope_key = $status_scope
    AND sp.day BETWEEN $start_day AND $end_day
GROUP BY ALL
ORDER BY sp.day, sp.agent_id, sp.status;
