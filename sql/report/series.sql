-- Every scope x interval of one day with its requirement: the data behind the report's charts.
-- Parameters: $day, the report day (DATE).
-- on_queue (available + productive busy) is judged against required_agents (on-queue agents
-- needed, before shrinkage); net_staffing = on_queue - required_agents. is_future marks the
-- intervals still ahead when coverage was built: their requirement is a forecast and they
-- have no actual figures. Service level (the requirement's expected one) and occupancy (busy /
-- staffed) come from the tables that hold them; busy_capacity_known < 1 means some BUSY time
-- had no capacity data and counted as on-queue.
SELECT
    v.scope_key,
    coalesce(sc.name, v.scope_key) AS name,
    v.interval_start,
    v.local_start,
    v.required_agents,
    v.staffed,
    v.available,
    v.gap,
    v.met,
    v.observed_share,
    v.on_queue,
    v.idle_available,
    v.logged_in,
    v.scheduled,
    v.net_staffing,
    v.requirement_source,
    v.is_future,
    r.service_level_expected,
    c.occupancy,
    c.busy_capacity_known
FROM coverage_vs_requirement AS v
LEFT JOIN scopes AS sc ON sc.scope_key = v.scope_key
LEFT JOIN coverage_intervals AS c
    ON c.day = v.day
    AND c.scope_key = v.scope_key
    AND c.interval_start = v.interval_start
LEFT JOIN staffing_requirements AS r
    ON r.day = v.day
    AND r.scope_key = v.scope_key
    AND r.interval_start = v.interval_start
WHERE v.day = $day
ORDER BY v.scope_key, v.interval_start;
