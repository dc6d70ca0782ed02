-- Rebuild one day of coverage_vs_requirement and coverage_daily_summary from
-- coverage_intervals, staffing_requirements and staffing_schedules of that day.
-- Parameters: $day (DATE), $now (TIMESTAMPTZ: the build's "now"; cells starting at or after
-- it are future cells, never judged).
--
-- Net staffing compares like with like: required ON-QUEUE agents (before shrinkage) against
-- actual on-queue agents (avg_on_queue = AVAILABLE + productive BUSY, time-weighted over the
-- observed part of the cell). A cell is JUDGED when it has a requirement, observed time and
-- is not a future cell; met is NULL for every other cell. basis (finalized: exact history;
-- provisional: polls) is the coverage row's.

DELETE FROM coverage_vs_requirement WHERE day = $day;

DELETE FROM coverage_daily_summary WHERE day = $day;

-- Per grid cell. gap stays for old readers and equals net_staffing; available stays and
-- equals idle_available (avg_available: idle agents, spare capacity).
INSERT INTO coverage_vs_requirement
    (day, scope_key, interval_start, local_start, required_agents, staffed, available, gap,
     met, observed_share, on_queue, idle_available, logged_in, scheduled, net_staffing,
     requirement_source, is_future, basis)
SELECT
    c.day,
    c.scope_key,
    c.interval_start,
    c.local_start,
    r.required_agents,
    c.staffed,
    c.avg_available AS available,
    c.avg_on_queue - r.required_agents AS gap,
    CASE WHEN c.interval_start < $now THEN c.avg_on_queue >= r.required_agents END AS met,
    c.observed_share,
    c.avg_on_queue AS on_queue,
    c.avg_available AS idle_available,
    c.avg_logged_in AS logged_in,
    s.scheduled_agents AS scheduled,
    c.avg_on_queue - r.required_agents AS net_staffing,
    r.source AS requirement_source,
    c.interval_start >= $now AS is_future,
    c.basis
FROM coverage_intervals AS c
LEFT JOIN (SELECT * FROM staffing_requirements WHERE day = $day) AS r
  ON r.scope_key = c.scope_key AND r.interval_start = c.interval_start
LEFT JOIN (SELECT * FROM staffing_schedules WHERE day = $day) AS s
  ON s.scope_key = c.scope_key AND s.interval_start = c.interval_start
WHERE c.day = $day;

-- Per scope. Every average, the shortfall and surplus and the worst cell are over the SAME
-- set: the judged cells (met IS NOT NULL). shortfall_agent_hours adds max(required -
-- on_queue, 0) x cell hours, surplus_agent_hours max(on_queue - required, 0) x cell hours;
-- worst_gap is the smallest net staffing, the earliest cell on ties.
INSERT INTO coverage_daily_summary
    (day, scope_key, intervals, intervals_observed, intervals_with_requirement, intervals_met,
     share_met, shortfall_agent_hours, worst_interval_start, worst_local_start, worst_gap,
     avg_available, avg_required, intervals_judged, avg_on_queue, avg_idle_available,
     avg_net_staffing, avg_scheduled, surplus_agent_hours, basis)
SELECT
    $day AS day,
    v.scope_key,
    count(*) AS intervals,
    count(*) FILTER (WHERE v.observed_share > 0) AS intervals_observed,
    count(v.required_agents) AS intervals_with_requirement,
    count(*) FILTER (WHERE v.met) AS intervals_met,
    CASE WHEN count(v.met) > 0
         THEN (count(*) FILTER (WHERE v.met)) / count(v.met) END AS share_met,
    coalesce(sum(greatest(v.required_agents - v.on_queue, 0) * c.hours)
        FILTER (WHERE v.met IS NOT NULL), 0) AS shortfall_agent_hours,
    arg_min(v.interval_start, struct_pack(g := v.gap, t := v.interval_start))
        FILTER (WHERE v.met IS NOT NULL) AS worst_interval_start,
    arg_min(v.local_start, struct_pack(g := v.gap, t := v.interval_start))
        FILTER (WHERE v.met IS NOT NULL) AS worst_local_start,
    min(v.gap) FILTER (WHERE v.met IS NOT NULL) AS worst_gap,
    avg(v.available) FILTER (WHERE v.met IS NOT NULL) AS avg_available,
    avg(v.required_agents) FILTER (WHERE v.met IS NOT NULL) AS avg_required,
    count(v.met) AS intervals_judged,
    avg(v.on_queue) FILTER (WHERE v.met IS NOT NULL) AS avg_on_queue,
    avg(v.idle_available) FILTER (WHERE v.met IS NOT NULL) AS avg_idle_available,
    avg(v.net_staffing) FILTER (WHERE v.met IS NOT NULL) AS avg_net_staffing,
    avg(v.scheduled) FILTER (WHERE v.met IS NOT NULL) AS avg_scheduled,
    coalesce(sum(greatest(v.on_queue - v.required_agents, 0) * c.hours)
        FILTER (WHERE v.met IS NOT NULL), 0) AS surplus_agent_hours,
    min(v.basis) AS basis
FROM coverage_vs_requirement AS v
JOIN (
    SELECT
        scope_key,
        interval_start,
        (epoch_us(interval_end) - epoch_us(interval_start)) / 3600e6 AS hours
    FROM coverage_intervals
    WHERE day = $day
) AS c
  ON c.scope_key = v.scope_key AND c.interval_start = v.interval_start
WHERE v.day = $day
GROUP BY v.scope_key;
