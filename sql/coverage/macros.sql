-- Shared definitions, created as TEMP macros on the connection before each coverage
-- statement group runs, so "the grid" and "a poll's window" are written down once.

-- The coverage grid: every configured scope x every interval of one day. Intervals step
-- step_minutes in UTC from the day's UTC start (local midnight); DST shifts are whole hours,
-- so the UTC steps are also local wall-clock boundaries. i numbers the intervals from 0.
CREATE OR REPLACE TEMP MACRO coverage_grid(day_start, day_end, step_minutes, intervals, time_zone)
AS TABLE
SELECT
    s.scope_key,
    g.i,
    day_start + to_minutes(g.i * step_minutes) AS interval_start,
    least(day_start + to_minutes((g.i + 1) * step_minutes), day_end) AS interval_end,
    timezone(time_zone, day_start + to_minutes(g.i * step_minutes)) AS local_start
FROM scopes AS s
CROSS JOIN range(0, intervals) AS g(i);

-- Observation windows: each successful poll of a scope at t opens [t, window_end) with
-- window_end = min(next successful poll of the scope, t + max_gap). Two successful responses
-- for one scope at the same instant are one observation point. Polls from lookback_start
-- (the day's start - max_gap) are read so that a window reaching into the day is seen.
CREATE OR REPLACE TEMP MACRO coverage_poll_windows(lookback_start, day_end, max_gap)
AS TABLE
SELECT
    scope_key,
    observed_at,
    least(
        coalesce(lead(observed_at) OVER by_scope, observed_at + max_gap),
        observed_at + max_gap
    ) AS window_end,
    row_number() OVER by_scope AS seq
FROM (
    SELECT DISTINCT scope_key, observed_at
    FROM raw_responses
    WHERE outcome = 'ok'
      AND observed_at >= lookback_start
      AND observed_at < day_end
)
WINDOW by_scope AS (PARTITION BY scope_key ORDER BY observed_at);
