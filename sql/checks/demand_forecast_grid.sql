-- demand_forecast of one day: one row per (scope, cell) of the coverage grid, for every scope
-- it forecasts, and every reforecast ratio within its bounds. Parameters: $day, $day_start,
-- $day_end, $step_minutes, $intervals, $time_zone, $ratio_min, $ratio_max. Needs the macros of
-- sql/coverage/macros.sql. One row: scopes, rows, missing, duplicated, ratios out of bounds.
WITH forecast AS (
    SELECT scope_key, interval_start, count(*) AS n, min(ratio) AS low, max(ratio) AS high
    FROM demand_forecast
    WHERE day = $day
    GROUP BY scope_key, interval_start
),
expected AS (
    SELECT g.scope_key, g.interval_start
    FROM coverage_grid($day_start, $day_end, $step_minutes, $intervals, $time_zone) AS g
    SEMI JOIN forecast AS f ON f.scope_key = g.scope_key
)
SELECT
    (SELECT count(DISTINCT scope_key) FROM forecast) AS scopes,
    (SELECT coalesce(sum(n), 0) FROM forecast) AS forecast_rows,
    (SELECT count(*) FROM expected AS e ANTI JOIN forecast AS f USING (scope_key, interval_start))
        AS missing_cells,
    (SELECT count(*) FROM forecast WHERE n > 1) AS duplicated_cells,
    (SELECT count(*) FROM forecast WHERE low < $ratio_min OR high > $ratio_max)
        AS ratios_out_of_bounds;
