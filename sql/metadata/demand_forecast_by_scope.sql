-- Materialization preview: one day's forecast per scope: weeks used, the reforecast ratio
-- applied (1 when none), contacts expected over the day. Parameters: $day.
SELECT
    scope_key,
    max(weeks_used) AS weeks_used,
    round(max(ratio) FILTER (WHERE method = 'profile_reforecast'), 3) AS ratio,
    round(sum(offered_forecast), 1) AS contacts_forecast
FROM demand_forecast
WHERE day = $day
GROUP BY scope_key
ORDER BY scope_key;
