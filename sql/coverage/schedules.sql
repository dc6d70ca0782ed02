-- Rebuild one day of staffing_schedules from the schedule rows registered by
-- pipelines/coverage/build.py as the view coverage_schedules_input (one row per schedules
-- file row, read by pipelines/coverage/schedules.py). Parameters: $day (DATE), $day_start /
-- $day_end (TIMESTAMPTZ), $step_minutes and $intervals (INTEGER), $time_zone (VARCHAR).
-- Needs macros.sql.
--
-- Rows are in LOCAL wall time and match grid cells exactly as requirement rules do
-- (requirements.sql): same scope, day_date = the cell's local date OR weekday = its ISO
-- weekday, start_minute <= local minute < end_minute. A dated row wins over a weekday row
-- (one file cannot hold two rows of one kind for the same cell: its reader refuses overlaps).

DELETE FROM staffing_schedules WHERE day = $day;

INSERT INTO staffing_schedules (day, scope_key, interval_start, local_start, scheduled_agents)
WITH rows AS (
    SELECT
        CAST(scope_key AS VARCHAR) AS scope_key,
        CAST(day_date AS DATE) AS day_date,
        CAST(weekday AS INTEGER) AS weekday,
        CAST(start_minute AS INTEGER) AS start_minute,
        CAST(end_minute AS INTEGER) AS end_minute,
        CAST(scheduled_agents AS DOUBLE) AS scheduled_agents
    FROM coverage_schedules_input
),
cells AS (
    SELECT *
    FROM coverage_local_cells($day_start, $day_end, $step_minutes, $intervals, $time_zone)
)
SELECT
    $day AS day,
    c.scope_key,
    c.interval_start,
    c.local_start,
    r.scheduled_agents
FROM cells AS c
JOIN rows AS r
  ON r.scope_key = c.scope_key
 AND local_row_matches(r.day_date, r.weekday, r.start_minute, r.end_minute,
     c.local_date, c.local_weekday, c.local_minute)
QUALIFY row_number() OVER (
    PARTITION BY c.scope_key, c.interval_start
    ORDER BY r.day_date IS NULL, r.start_minute DESC
) = 1;
