-- Materialization preview: requirement cells per source for one day.
SELECT source, count(*) AS cells, round(avg(required_agents), 2) AS avg_required
FROM staffing_requirements
WHERE day = $day
GROUP BY ALL
ORDER BY source;
