-- Materialization preview: one day's demand requirement cells per source, with the mean
-- requirement, both models' means and the mean achieved service level. Parameters: $day.
SELECT
    coalesce(source, '(unsized)') AS source,
    count(*) AS cells,
    round(avg(required_agents), 2) AS avg_required,
    round(avg(required_erlang_a), 2) AS avg_erlang_a,
    round(avg(required_erlang_c), 2) AS avg_erlang_c,
    round(avg(service_level_achieved), 3) AS avg_sl_achieved
FROM demand_requirements
WHERE day = $day
GROUP BY ALL
ORDER BY source;
