-- Per scope: mean occupancy and availability over the observed, staffed cells, their
-- correlation across cells, and the share of observed time with no agent available in cells
-- with high occupancy (>= 85 %) and in the others.
SELECT
    c.scope_key,
    any_value(s.name) AS name,
    count(*) AS cells,
    avg(c.occupancy) AS mean_occupancy,
    avg(c.avg_available) AS mean_available,
    corr(c.occupancy, c.avg_available) AS corr_occupancy_available,
    avg(c.zero_available_share) FILTER (WHERE c.occupancy >= 0.85) AS zero_available_when_busy,
    avg(c.zero_available_share) FILTER (WHERE c.occupancy < 0.85) AS zero_available_otherwise
FROM coverage_intervals AS c
LEFT JOIN scopes AS s USING (scope_key)
WHERE c.day BETWEEN $start_day AND $end_day
    AND list_contains($scopes, c.scope_key)
    AND c.occupancy IS NOT NULL
GROUP BY c.scope_key
ORDER BY mean_occupancy DESC, c.scope_key;
