-- Cells of one day's demand_requirements with contacts but no requirement (no handle time to
-- size them with). Parameters: $day. Rows: scope_key, interval_start, offered, is_forecast.
SELECT scope_key, interval_start, round(offered, 2) AS offered, is_forecast
FROM demand_requirements
WHERE day = $day AND offered > 0 AND required_agents IS NULL
ORDER BY scope_key, interval_start;
