-- Grid completeness for one day: expected cells (scopes x intervals) against the rows of
-- coverage_intervals. Parameters: $day, $day_start, $day_end, $step_minutes, $intervals,
-- $time_zone. Needs the macros of sql/coverage/macros.sql. One row: expected, actual rows,
-- missing, duplicated, extra.
WITH expected AS (
    SELECT scope_key, interval_start
    FROM coverage_grid($day_start, $day_end, $step_minutes, $intervals, $time_zone)
),
actual AS (
    SELECT scope_key, interval_start, count(*) AS n
    FROM coverage_intervals
    WHERE day = $day
    GROUP BY scope_key, interval_start
)
SELECT
    (SELECT count(*) FROM expected) AS expected_cells,
    (SELECT coalesce(sum(n), 0) FROM actual) AS actual_rows,
    (SELECT count(*) FROM expected AS e ANTI JOIN actual AS a USING (scope_key, interval_start))
        AS missing_cells,
    (SELECT count(*) FROM actual WHERE n > 1) AS duplicated_cells,
    (SELECT count(*) FROM actual AS a ANTI JOIN expected AS e USING (scope_key, interval_start))
        AS extra_cells,
    (SELECT list(e.scope_key || ' ' || strftime(e.interval_start, '%Y-%m-%dT%H:%M:%SZ')
                 ORDER BY e.scope_key, e.interval_start)[1:5]
     FROM expected AS e ANTI JOIN actual AS a USING (scope_key, interval_start))
        AS missing_examples;
