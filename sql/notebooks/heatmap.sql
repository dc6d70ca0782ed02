-- Net staffing by local weekday (ISO, 1 = Monday) and local hour of day, per scope: the mean
-- net staffing = on_queue - required over the JUDGED cells (a requirement, observed time, not
-- in the future), with the means of on-queue and required over the same cells.
-- Hours without a judged cell (e.g. nights without a requirement) have no row.
SELECT
    v.scope_key,
    isodow(v.local_start) AS weekday,
    hour(v.local_start) AS hour,
    avg(v.net_staffing) AS mean_net,
    avg(v.on_queue) AS mean_on_queue,
    avg(v.required_agents) AS mean_required,
    count(*) AS cells
FROM coverage_vs_requirement AS v
WHERE v.day BETWEEN $start_day AND $end_day
    AND list_contains($scopes, v.scope_key)
    AND v.required_agents IS NOT NULL
    AND v.on_queue IS NOT NULL
    AND v.observed_share > 0
    AND NOT v.is_future
GROUP BY ALL
ORDER BY v.scope_key, weekday, hour;
