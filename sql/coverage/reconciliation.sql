-- One day's coverage_reconciliation with scope names, finalized scopes first, then by key.
-- Parameter: $day (DATE).
SELECT
    r.scope_key,
    coalesce(s.name, r.scope_key) AS name,
    r.basis,
    r.cells,
    r.cells_polled,
    r.cells_fully_polled,
    r.polled_share,
    r.cells_covered,
    r.observed_share,
    r.cells_repaired,
    r.cells_compared,
    r.mean_available,
    r.mae_available,
    r.mae_available_share,
    r.mean_on_queue,
    r.mae_on_queue,
    r.mae_on_queue_share
FROM coverage_reconciliation AS r
LEFT JOIN scopes AS s
  ON s.scope_key = r.scope_key
WHERE r.day = $day
ORDER BY r.basis, r.scope_key;
