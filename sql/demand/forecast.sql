-- Rebuild one day of demand_forecast: the weekday x interval profile of the last $weeks
-- weeks and, for today, the intraday reforecast. Built by pipelines/demand/forecast.py;
-- definitions in the docstring of pipelines/demand/__init__.py. Needs coverage/macros.sql and
-- demand/macros.sql.
--
-- Parameters: $day (DATE, the local day forecast), $day_start / $day_end (TIMESTAMPTZ, its UTC
-- bounds), $step_minutes and $intervals (INTEGER, the grid), $time_zone (VARCHAR),
-- $first_day (DATE, $day - 7 x $weeks), $history_start / $history_end (TIMESTAMPTZ, UTC
-- bounds of [$first_day, $day)), $now (TIMESTAMPTZ, when the forecast is made),
-- $reforecast (BOOLEAN: $day is today, so completed cells scale the rest),
-- $ratio_min / $ratio_max (DOUBLE, the reforecast ratio's clip).

DELETE FROM demand_forecast WHERE day = $day;

INSERT INTO demand_forecast
    (day, scope_key, interval_start, interval_end, local_start, offered_profile, weeks_used,
     ratio, offered_forecast, aht_seconds, patience_seconds, method, generated_at)
WITH history AS (
    SELECT
        scope_key,
        CAST(local_start AS DATE) AS local_date,
        hour(local_start) * 60 + minute(local_start) AS local_minute,
        offered, answered, abandoned, handle_seconds, wait_answered_seconds,
        wait_abandoned_seconds
    FROM demand_cells($history_start, $history_end, $step_minutes, $time_zone)
    WHERE CAST(local_start AS DATE) >= $first_day
      AND CAST(local_start AS DATE) < $day
      AND isodow(local_start) = isodow($day)
),
-- A fall-back day repeats an hour: its two cells of one local minute are averaged, so every
-- history day gives one figure per local minute.
by_minute AS (
    SELECT
        scope_key, local_date, local_minute,
        avg(offered) AS offered, avg(answered) AS answered, avg(abandoned) AS abandoned,
        avg(handle_seconds) AS handle_seconds,
        avg(wait_answered_seconds + wait_abandoned_seconds) AS exposure_seconds
    FROM history
    GROUP BY scope_key, local_date, local_minute
),
-- A history day counts for a scope when Kore sent any volume row of the scope that day; a
-- cell without a row on such a day counts as zero contacts.
weeks AS (
    SELECT
        scope_key,
        count(DISTINCT local_date) AS weeks_used,
        sum(handle_seconds) / nullif(sum(answered), 0) AS aht_pooled,
        sum(exposure_seconds) / nullif(sum(abandoned), 0) AS patience_seconds
    FROM by_minute
    GROUP BY scope_key
),
profile AS (
    SELECT
        b.scope_key,
        b.local_minute,
        sum(b.offered) / any_value(w.weeks_used) AS offered_profile,
        sum(b.handle_seconds) / nullif(sum(b.answered), 0) AS aht_seconds
    FROM by_minute AS b
    JOIN weeks AS w USING (scope_key)
    GROUP BY b.scope_key, b.local_minute
),
cells AS (
    SELECT
        g.scope_key, g.interval_start, g.interval_end, g.local_start,
        hour(g.local_start) * 60 + minute(g.local_start) AS local_minute,
        coalesce(p.offered_profile, 0) AS offered_profile,
        w.weeks_used,
        coalesce(p.aht_seconds, w.aht_pooled) AS aht_seconds,
        w.patience_seconds
    FROM coverage_grid($day_start, $day_end, $step_minutes, $intervals, $time_zone) AS g
    JOIN weeks AS w
      ON w.scope_key = g.scope_key
    LEFT JOIN profile AS p
      ON p.scope_key = g.scope_key
     AND p.local_minute = hour(g.local_start) * 60 + minute(g.local_start)
),
-- Kore's volume is known up to demand_volume_end (macros.sql).
known AS (
    SELECT demand_volume_end($now, $day_start) AS volume_end
),
actual AS (
    SELECT scope_key, interval_start, offered
    FROM demand_cells($day_start, $day_end, $step_minutes, $time_zone)
),
ratios AS (
    SELECT
        c.scope_key,
        sum(coalesce(a.offered, 0)) / nullif(sum(c.offered_profile), 0) AS raw_ratio
    FROM cells AS c
    CROSS JOIN known AS k
    LEFT JOIN actual AS a
      ON a.scope_key = c.scope_key AND a.interval_start = c.interval_start
    WHERE $reforecast AND c.interval_end <= k.volume_end
    GROUP BY c.scope_key
),
judged AS (
    SELECT
        c.*,
        r.raw_ratio IS NOT NULL AND c.interval_end > k.volume_end AS rescaled,
        least(greatest(coalesce(r.raw_ratio, 1.0), $ratio_min), $ratio_max) AS ratio
    FROM cells AS c
    CROSS JOIN known AS k
    LEFT JOIN ratios AS r
      ON r.scope_key = c.scope_key
)
SELECT
    $day AS day,
    scope_key,
    interval_start,
    interval_end,
    local_start,
    offered_profile,
    weeks_used,
    CASE WHEN rescaled THEN ratio ELSE 1.0 END AS ratio,
    CASE WHEN rescaled THEN offered_profile * ratio ELSE offered_profile END AS offered_forecast,
    aht_seconds,
    patience_seconds,
    CASE WHEN rescaled THEN 'profile_reforecast' ELSE 'profile' END AS method,
    $now AS generated_at
FROM judged;
