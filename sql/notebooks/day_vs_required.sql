-- One day, interval by interval, per scope: on-queue agents (available + productive busy),
-- idle available agents and scheduled agents (NULL without a schedules file) against the
-- required on-queue agents; net_staffing = on_queue - required. Cells without a requirement
-- have required_agents NULL; cells without observed time have on_queue NULL; is_future marks
-- cells still ahead when coverage was built (a forecast requirement, no actual figures).
SELECT
    v.scope_key,
    v.interval_start,
    c.interval_end,
    v.local_start,
    v.required_agents,
    v.on_queue,
    v.idle_available,
    v.scheduled,
    v.net_staffing,
    v.is_future,
    v.requirement_source,
    v.observed_share
FROM coverage_vs_requirement AS v
JOIN coverage_intervals AS c USING (day, scope_key, interval_start)
WHERE v.day = $focus_day
    AND list_contains($scopes, v.scope_key)
ORDER BY v.scope_key, v.interval_start;
