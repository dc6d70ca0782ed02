-- Rebuild one day of staffing_requirements from the rules registered by
-- pipelines/coverage/build.py as the view coverage_rules_input (one row per rule, built by
-- pipelines/coverage/requirements.py). Parameters: $day (DATE), $day_start / $day_end
-- (TIMESTAMPTZ), $step_minutes and $intervals (INTEGER), $time_zone (VARCHAR),
-- $kore_priority and $profile_priority (INTEGER: the ranks of computed demand, from
-- pipelines/coverage/requirements.py). Needs macros.sql.
--
-- Besides the rules, each cell may have a requirement computed from demand
-- (demand_requirements, pipelines/demand): what Kore says came (is_forecast false, rank
-- $kore_priority) or the profile forecast (rank $profile_priority); both rank below every
-- file rule, so a targets file wins over everything and a forecast file over computed demand.
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
    SELECT *
    FROM coverage_local_cells($day_start, $day_end, $step_minutes, $intervals, $time_zone)
),
candidates AS (
    SELECT
        c.scope_key,
        c.interval_start,
        c.local_start,
        r.required_agents,
        r.source,
        r.scheduled_required,
        r.service_level_expected,
        r.priority,
        r.day_date IS NULL AS weekday_rule,
        r.end_minute - r.start_minute AS width,
        r.start_minute
    FROM cells AS c
    JOIN rules AS r
      ON r.scope_key = c.scope_key
     AND local_row_matches(r.day_date, r.weekday, r.start_minute, r.end_minute,
         c.local_date, c.local_weekday, c.local_minute)
    UNION ALL
    SELECT
        c.scope_key,
        c.interval_start,
        c.local_start,
        d.required_agents,
        d.source,
        -- No planned shrinkage is known for computed demand: no scheduled heads.
        CAST(NULL AS DOUBLE) AS scheduled_required,
        d.service_level_expected,
        CASE WHEN d.is_forecast THEN $profile_priority ELSE $kore_priority END AS priority,
        false AS weekday_rule,
        0 AS width,
        0 AS start_minute
    FROM cells AS c
    JOIN demand_requirements AS d
      ON d.day = $day
     AND d.scope_key = c.scope_key
     AND d.interval_start = c.interval_start
    WHERE d.required_agents IS NOT NULL
)
SELECT
    $day AS day,
    scope_key,
    interval_start,
    local_start,
    required_agents,
    source,
    scheduled_required,
    service_level_expected
FROM candidates
QUALIFY row_number() OVER (
    PARTITION BY scope_key, interval_start
    ORDER BY
        priority NULLS LAST,
        weekday_rule,
        source <> 'target',
        width,
        start_minute DESC,
        required_agents DESC
) = 1;
