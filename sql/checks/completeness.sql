-- Cells of one day observed for less than $threshold of their length, worst first.
-- Parameters: $day, $threshold, $now (TIMESTAMPTZ). Returns every cell that had ENDED by $now
-- with its observed_share and a flag: a cell still running or in the future cannot be
-- complete yet, so today's partition is judged on the elapsed part of the day only.
SELECT
    scope_key,
    interval_start,
    local_start,
    observed_share,
    observed_share < $threshold AS below
FROM coverage_intervals
WHERE day = $day AND interval_end <= $now
ORDER BY observed_share, scope_key, interval_start;
