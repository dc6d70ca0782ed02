-- Rebuild one day of coverage_vs_requirement and coverage_daily_summary from
-- coverage_intervals and staffing_requirements of that day. Parameter: $day (DATE).

DELETE FROM coverage_vs_requirement WHERE day = $day;

DELETE FROM coverage_daily_summary WHERE day = $day;

-- Per grid cell. available is avg_available (time-weighted over the observed part); met is
-- NULL when the cell has no requirement or no observed time.
INSERT INTO coverage_vs_requirement
    (day, scope_key, interval_start, local_start, required_agents, staffed, available, gap,
     met, observed_share)
SELECT
    c.day,
    c.scope_key,
    c.interval_start,
    c.local_start,
    r.required_agents,
    c.staffed,
    c.avg_available AS available,
    c.avg_available - r.required_agents AS gap,
    c.avg_available >= r.required_agents AS met,
    c.observed_share
FROM coverage_intervals AS c
LEFT JOIN (SELECT * FROM staffing_requirements WHERE day = $day) AS r
  ON r.scope_key = c.scope_key AND r.interval_start = c.interval_start
WHERE c.day = $day;

-- Per scope. shortfall_agent_hours adds (required - available) x interval hours over cells
-- that are both required and observed and fall short; worst_gap is the smallest gap (the
-- most negative), the earliest cell on ties.
INSERT INTO coverage_daily_summary
    (day, scope_key, intervals, intervals_observed, intervals_with_requirement, intervals_met,
     share_met, shortfall_agent_hours, worst_interval_start, worst_local_start, worst_gap,
     avg_available, avg_required)
SELECT
    $day AS day,
    v.scope_key,
    count(*) AS intervals,
    count(*) FILTER (WHERE v.observed_share > 0) AS intervals_observed,
    count(v.required_agents) AS intervals_with_requirement,
    count(*) FILTER (WHERE v.met) AS intervals_met,
    CASE WHEN count(v.met) > 0
         THEN (count(*) FILTER (WHERE v.met)) / count(v.met) END AS share_met,
    coalesce(sum(
        greatest(v.required_agents - v.available, 0)
        * (epoch_us(c.interval_end) - epoch_us(c.interval_start)) / 3600e6
    ), 0) AS shortfall_agent_hours,
    arg_min(v.interval_start, struct_pack(g := v.gap, t := v.interval_start))
        FILTER (WHERE v.gap IS NOT NULL) AS worst_interval_start,
    arg_min(v.local_start, struct_pack(g := v.gap, t := v.interval_start))
        FILTER (WHERE v.gap IS NOT NULL) AS worst_local_start,
    min(v.gap) AS worst_gap,
    avg(v.available) AS avg_available,
    avg(v.required_agents) AS avg_required
FROM coverage_vs_requirement AS v
JOIN coverage_intervals AS c
  ON c.day = v.day AND c.scope_key = v.scope_key AND c.interval_start = v.interval_start
WHERE v.day = $day AND c.day = $day
GROUP BY v.scope_key;
