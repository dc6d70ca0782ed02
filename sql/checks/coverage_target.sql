-- Per scope: intervals judged (a requirement, observed time, not a future cell: met IS NOT
-- NULL), intervals unmet (on-queue agents below the on-queue requirement), and the unmet
-- cells, most negative net staffing first. Parameter: $day.
SELECT
    scope_key,
    count(met) AS judged,
    count(*) FILTER (WHERE NOT met) AS unmet,
    CASE WHEN count(met) > 0
         THEN (count(*) FILTER (WHERE NOT met)) / count(met) END AS unmet_share,
    list(struct_pack(
            local_start := strftime(local_start, '%Y-%m-%d %H:%M'),
            interval_start := strftime(interval_start, '%Y-%m-%dT%H:%M:%SZ'),
            required := required_agents,
            on_queue := on_queue,
            idle_available := idle_available,
            net_staffing := net_staffing)
         ORDER BY net_staffing, interval_start) FILTER (WHERE NOT met) AS unmet_cells
FROM coverage_vs_requirement
WHERE day = $day
GROUP BY scope_key
ORDER BY scope_key;
