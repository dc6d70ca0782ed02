-- Rebuild one day of coverage_reconciliation from coverage_intervals (same transaction, right
-- after intervals.sql). Parameters: $day (DATE), $now (TIMESTAMPTZ: cells starting at or after
-- it had not begun when built and are left out).
--
-- Per (day, scope), over the cells that had begun:
-- - completeness before finalization: cells_polled (any time inside poll windows),
--   cells_fully_polled, polled_share (mean share of cell time inside poll windows);
-- - after: cells_covered (observed time in the coverage row), observed_share (its mean);
--   cells_repaired = finalized cells the polls saw only in part or not at all;
-- - reconciliation of a finalized scope, over the cells_compared = cells fully inside poll
--   windows: the exact mean AVAILABLE and on-queue agents, the mean absolute difference of
--   the poll-based figure from the exact one (MAE, agents) and MAE / exact mean (NULL when the
--   mean is 0). Provisional scopes have nothing exact to compare with: NULL.

DELETE FROM coverage_reconciliation WHERE day = $day;

INSERT INTO coverage_reconciliation
    (day, scope_key, basis, cells, cells_polled, cells_fully_polled, polled_share,
     cells_covered, observed_share, cells_repaired, cells_compared, mean_available,
     mae_available, mae_available_share, mean_on_queue, mae_on_queue, mae_on_queue_share,
     built_at)
WITH cells AS (
    SELECT
        scope_key,
        basis,
        observed_share,
        polled_seconds / ((epoch_us(interval_end) - epoch_us(interval_start)) / 1e6)
            AS polled_share,
        avg_available,
        avg_on_queue,
        polled_available,
        polled_on_queue
    FROM coverage_intervals
    WHERE day = $day AND interval_start < $now
),
marked AS (
    SELECT *, basis = 'finalized' AND polled_share >= 1 AS compared
    FROM cells
),
per_scope AS (
    SELECT
        scope_key,
        min(basis) AS basis,
        count(*) AS cells,
        count(*) FILTER (WHERE polled_share > 0) AS cells_polled,
        count(*) FILTER (WHERE polled_share >= 1) AS cells_fully_polled,
        avg(polled_share) AS polled_share,
        count(*) FILTER (WHERE observed_share > 0) AS cells_covered,
        avg(observed_share) AS observed_share,
        count(*) FILTER (WHERE basis = 'finalized' AND polled_share < 1) AS cells_repaired,
        count(*) FILTER (WHERE compared) AS cells_compared,
        avg(avg_available) FILTER (WHERE compared) AS mean_available,
        avg(abs(polled_available - avg_available)) FILTER (WHERE compared) AS mae_available,
        avg(avg_on_queue) FILTER (WHERE compared) AS mean_on_queue,
        avg(abs(polled_on_queue - avg_on_queue)) FILTER (WHERE compared) AS mae_on_queue
    FROM marked
    GROUP BY scope_key
)
SELECT
    $day,
    scope_key,
    basis,
    cells,
    cells_polled,
    cells_fully_polled,
    polled_share,
    cells_covered,
    observed_share,
    cells_repaired,
    cells_compared,
    mean_available,
    mae_available,
    CASE WHEN mean_available > 0 THEN mae_available / mean_available END,
    mean_on_queue,
    mae_on_queue,
    CASE WHEN mean_on_queue > 0 THEN mae_on_queue / mean_on_queue END,
    $now
FROM per_scope;
