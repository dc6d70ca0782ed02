-- Rebuild one day of staffing_requirements from the rules registered by
-- pipelines/coverage/build.py as the view coverage_rules_input (one row per rule, built by
-- pipelines/coverage/requirements.py). Parameters: $day (DATE), $day_start / $day_end
-- (TIMESTAMPTZ), $step_minutes and $intervals (INTEGER), $time_zone (VARCHAR). Needs
-- macros.sql.
--
-- Rules are in LOCAL wall time: a rule matches a cell when its scope is the cell's scope,
-- its day_date is the cell's local date OR its weekday is the ISO weekday (1 = Monday) of
-- that date, and start_minute <= local minute of day < end_minute. On a spring-forward day
-- the skipped hour has no cells, so nothing matches it; on a fall-back day both cells of
-- the repeated hour match. Among matching rules the lowest priority wins; equal priorities
-- are settled by: a dated rule before a weekday rule, 'target' before any computed source,
-- the narrower rule, the later-starting rule, the larger requirement.
--
-- required_agents is the ON-QUEUE requirement (before shrinkage); scheduled_required the heads
-- to schedule given planned shrinkage (NULL when none is known) and service_level_expected
-- what the requirement is expected to reach (NULL for targets): both carried from the rule.

DELETE FROM staffing_requirements WHERE day = $day;

INSERT INTO staffing_requirements
    (day, scope_key, interval_start, local_start, required_agents, source, scheduled_required,
     service_level_expected)
WITH rules AS (
    SELECT
        CAST(scope_key AS VARCHAR) AS scope_key,
        CAST(day_date AS DATE) AS day_date,
        CAST(weekday AS INTEGER) AS weekday,
        CAST(start_minute AS INTEGER) AS start_minute,
        CAST(end_minute AS INTEGER) AS end_minute,
        CAST(required_agents AS DOUBLE) AS required_agents,
        CAST(source AS VARCHAR) AS source,
        CAST(priority AS INTEGER) AS priority,
        CAST(scheduled_required AS DOUBLE) AS scheduled_required,
        CAST(service_level_expected AS DOUBLE) AS service_level_expected
    FROM coverage_rules_input
),
cells AS (
    SELECT
        scope_key,
        interval_start,
        local_start,
        CAST(local_start AS DATE) AS local_date,
        isodow(local_start) AS local_weekday,
        hour(local_start) * 60 + minute(local_start) AS local_minute
    FROM coverage_grid($day_start, $day_end, $step_minutes, $intervals, $time_zone)
)
SELECT
    $day AS day,
    c.scope_key,
    c.interval_start,
    c.local_start,
    r.required_agents,
    r.source,
    r.scheduled_required,
    r.service_level_expected
FROM cells AS c
JOIN rules AS r
  ON r.scope_key = c.scope_key
 AND (r.day_date = c.local_date OR r.weekday = c.local_weekday)
 AND r.start_minute <= c.local_minute
 AND c.local_minute < r.end_minute
QUALIFY row_number() OVER (
    PARTITION BY c.scope_key, c.interval_start
    ORDER BY
        r.priority NULLS LAST,
        r.day_date IS NULL,
        r.source <> 'target',
        r.end_minute - r.start_minute,
        r.start_minute DESC,
        r.required_agents DESC
) = 1;
