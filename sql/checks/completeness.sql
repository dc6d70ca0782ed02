-- Cells of one day observed for less than $threshold of their length, worst first.
-- Parameters: $day, $threshold. Returns every cell with its observed_share and a flag.
SELECT
    scope_key,
    interval_start,
    local_start,
    observed_share,
    observed_share < $threshold AS below
FROM coverage_intervals
WHERE day = $day
ORDER BY observed_share, scope_key, interval_start;
