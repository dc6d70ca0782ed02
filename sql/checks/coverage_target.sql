-- Per scope: intervals judged (requirement and observation both present), intervals unmet,
-- and the worst cells (most negative gap first). Parameter: $day.
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
            available := available,
            gap := gap)
         ORDER BY gap, interval_start) FILTER (WHERE NOT met) AS unmet_cells
FROM coverage_vs_requirement
WHERE day = $day
GROUP BY scope_key
ORDER BY scope_key;
