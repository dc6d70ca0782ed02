-- Materialization preview: mean completeness of one day's grid.
SELECT avg(observed_share) AS mean_observed_share
FROM coverage_intervals
WHERE day = $day;
