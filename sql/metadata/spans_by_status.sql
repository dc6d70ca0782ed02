-- Materialization preview: spans and agent-hours per status for one day.
SELECT status, count(*) AS spans, round(sum(epoch(span_end - span_start)) / 3600, 2) AS agent_hours
FROM agent_status_spans
WHERE day = $day
GROUP BY ALL
ORDER BY status;
