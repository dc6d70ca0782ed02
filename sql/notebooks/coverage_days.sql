-- Days with coverage built, and whether they were built in $time_zone (local_start is the
-- wall clock of the zone the pipeline used; it must match the notebook's zone).
SELECT
    day,
    count(DISTINCT scope_key) AS scopes,
    count(*) AS cells,
    bool_and(local_start = timezone($time_zone, interval_start)) AS built_in_time_zone
FROM coverage_intervals
GROUP BY day
ORDER BY day;
