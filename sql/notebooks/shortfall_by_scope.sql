-- Shortfall per scope over the date range, largest first (ties by scope key).
-- shortfall_agent_hours = sum over cells of max(required - available, 0) x cell hours, as in
-- coverage_daily_summary; share_met = intervals met / intervals with a requirement and an
-- observation.
WITH days AS (
    SELECT
        scope_key,
        sum(shortfall_agent_hours) AS shortfall_agent_hours,
        CAST(sum(intervals_with_requirement) AS BIGINT) AS intervals_with_requirement,
        CAST(sum(intervals_met) AS BIGINT) AS intervals_met,
        count(*) AS days
    FROM coverage_daily_summary
    WHERE day BETWEEN $start_day AND $end_day
        AND list_contains($scopes, scope_key)
    GROUP BY scope_key
),
cells AS (
    SELECT
        scope_key,
        count(met) AS intervals_judged,
        min(gap) AS worst_gap,
        avg(available) FILTER (WHERE required_agents IS NOT NULL) AS avg_available,
        avg(required_agents) AS avg_required
    FROM coverage_vs_requirement
    WHERE day BETWEEN $start_day AND $end_day
        AND list_contains($scopes, scope_key)
    GROUP BY scope_key
)
SELECT
    d.scope_key,
    s.name,
    s.kind,
    d.days,
    d.shortfall_agent_hours,
    c.intervals_judged,
    d.intervals_met,
    d.intervals_met / nullif(c.intervals_judged, 0) AS share_met,
    c.avg_required,
    c.avg_available,
    c.worst_gap
FROM days AS d
LEFT JOIN cells AS c USING (scope_key)
LEFT JOIN scopes AS s USING (scope_key)
ORDER BY d.shortfall_agent_hours DESC, d.scope_key;
