-- Rebuild one day of agent_status_spans (run inside one transaction by
-- pipelines/coverage/build.py).
-- Parameters: $day (DATE), $day_start / $day_end (TIMESTAMPTZ, the day's UTC bounds),
-- $lookback_start (= $day_start - max gap: no earlier poll's window can reach the day),
-- $max_gap (INTERVAL). Needs the macros of macros.sql.
--
-- Listings and polls come from the macros coverage_observations and coverage_poll_windows:
-- the stored snapshots and successful answers, plus membership-mode 'all' answers expanded to
-- every skill and queue by the membership valid at their observed_at (macros.sql). Without
-- membership-mode ticks in the period the expansion is empty and the rows are as before.
--
-- Definition: an agent listed with status s at a successful poll t of scope S holds s over
-- t's window [t, min(next successful poll of S, t + max gap)); windows of one status at
-- consecutive polls that touch are merged into one span; spans are clipped to the day.
-- A BUSY listing also carries busy_productive (used capacity on some channel at that tick:
-- true / false / NULL unknown, macro coverage_snapshots): BUSY with another flag is another
-- "status" here, so spans split where the flag changes. Among two BUSY listings of one
-- answer instant, productive wins over unknown over non-productive.
--
-- How (one sort of one integer per snapshot row, then work on run boundaries only):
-- 1. Number ALL polls of the period with pos, ordered by (scope, time): consecutive
--    (pos + 1) exactly when one poll's window reaches the next poll of the same scope; every
--    gap longer than the maximum, and every change of scope, skips a number. pos alone
--    therefore names a poll (scope and time).
-- 2. Code (status, flag) pairs by precedence (BUSY productive, unknown, non-productive,
--    then AVAILABLE, AWAY, other statuses alphabetically, OFFLINE last) and number the
--    agents, so the big sort runs on integers.
-- 3. Give every snapshot row one integer key k = (agent * m + pos) * c + code - 1, with m
--    larger than any pos and c the number of statuses (session variables set from the small
--    tables of steps 1-2, so they are constants of the big statement; when every k fits a
--    32-bit INTEGER the sort runs on INTEGERs, about twice as fast as on BIGINTs).
--    ap = k // c ("agent position") is consecutive exactly when the same agent is listed at consecutive polls of one scope,
--    and sorting by k sorts each (scope, agent) by (pos, code): the first row at an ap is the
--    status that wins when an agent is listed twice in one response. With lag/lead over k,
--    drop every row in the middle of a run (a single row whose previous and next polls hold
--    the same status); what is left are run starts, run ends and the rare duplicated polls.
-- 4. On that small set, resolve duplicates, mark where a run does not continue into the next
--    poll, pair each run's end with its start (lag/lead only: cheaper than running
--    aggregates), and map the first and last pos back to times.

DELETE FROM agent_status_spans WHERE day = $day;

-- The polls of the period with pos.
CREATE OR REPLACE TEMP TABLE coverage_span_polls AS
WITH polls AS (
    SELECT * FROM coverage_poll_windows($lookback_start, $day_end, $max_gap)
)
SELECT
    scope_key,
    observed_at,
    window_end,
    CAST(row_number() OVER by_all + sum(broken) OVER (by_all ROWS UNBOUNDED PRECEDING)
         AS BIGINT) AS pos
FROM (
    SELECT
        *,
        -- the first poll of a scope (no previous one) also breaks the numbering
        CASE WHEN lag(window_end) OVER (PARTITION BY scope_key ORDER BY observed_at)
                  >= observed_at THEN 0 ELSE 1 END AS broken
    FROM polls
)
WINDOW by_all AS (ORDER BY scope_key, observed_at);

-- One scan: every (scope, agent, status, flag) listed in the period with its largest user
-- id, the agent's number and the pair's code. flag: 1 = productive BUSY, 2 = non-productive
-- BUSY, 0 = unknown or not BUSY (an integer, so the joins below stay plain equi-joins).
CREATE OR REPLACE TEMP TABLE coverage_span_listed AS
WITH listed AS (
    SELECT
        scope_key,
        agent_id,
        status,
        CASE busy_productive WHEN true THEN 1 WHEN false THEN 2 ELSE 0 END AS flag,
        max(user_id) AS user_id
    FROM coverage_observations($lookback_start, $day_end)
    GROUP BY ALL
),
status_codes AS (
    SELECT
        status,
        flag,
        CAST(row_number() OVER (
            ORDER BY status_rank(status), status, CASE flag WHEN 1 THEN 0 WHEN 0 THEN 1 ELSE 2 END
        ) AS BIGINT) AS code
    FROM (SELECT DISTINCT status, flag FROM listed)
),
agents AS (
    SELECT agent_id, CAST(row_number() OVER () AS BIGINT) AS agent
    FROM (SELECT DISTINCT agent_id FROM listed)
)
SELECT l.scope_key, l.agent_id, l.status, l.flag, l.user_id, a.agent, c.code
FROM listed AS l
JOIN agents AS a
  ON a.agent_id = l.agent_id
JOIN status_codes AS c
  ON c.status = l.status AND c.flag = l.flag;

SET VARIABLE coverage_span_m = (SELECT coalesce(max(pos), 0) + 2 FROM coverage_span_polls);

SET VARIABLE coverage_span_c = (SELECT greatest(count(DISTINCT code), 1) FROM coverage_span_listed);

SET VARIABLE coverage_span_narrow = (
    SELECT (coalesce(max(agent), 0) + 1) * getvariable('coverage_span_m')
           * getvariable('coverage_span_c') < 2147483647
    FROM coverage_span_listed
);

INSERT INTO agent_status_spans
    (day, scope_key, agent_id, user_id, status, busy_productive, span_start, span_end,
     observations)
WITH coded AS (
    SELECT
        (a.agent * getvariable('coverage_span_m') + p.pos) * getvariable('coverage_span_c')
            + (l.code - 1) AS k
    FROM coverage_observations($lookback_start, $day_end) AS s
    JOIN coverage_span_polls AS p
      ON p.scope_key = s.scope_key AND p.observed_at = s.observed_at
    -- agent depends on agent_id only and code on (status, flag) only: two joins with tiny
    -- build sides are cheaper than one four-key join (every row's quadruple is listed).
    JOIN (SELECT DISTINCT agent_id, agent FROM coverage_span_listed) AS a
      ON a.agent_id = s.agent_id
    JOIN (SELECT DISTINCT status, flag, code FROM coverage_span_listed) AS l
      ON l.status = s.status
     AND l.flag = CASE s.busy_productive WHEN true THEN 1 WHEN false THEN 2 ELSE 0 END
),
ordered AS (
    -- The one big sort; only one branch survives planning.
    SELECT
        CAST(k AS BIGINT) AS k,
        CAST(lag(k) OVER by_key AS BIGINT) AS prev_k,
        CAST(lag(k, 2) OVER by_key AS BIGINT) AS prev2_k,
        CAST(lead(k) OVER by_key AS BIGINT) AS next_k
    FROM (SELECT CAST(k AS INTEGER) AS k FROM coded WHERE getvariable('coverage_span_narrow'))
    WINDOW by_key AS (ORDER BY k)
    UNION ALL
    SELECT
        k,
        lag(k) OVER by_key AS prev_k,
        lag(k, 2) OVER by_key AS prev2_k,
        lead(k) OVER by_key AS next_k
    FROM (SELECT k FROM coded WHERE NOT getvariable('coverage_span_narrow'))
    WINDOW by_key AS (ORDER BY k)
),
boundaries AS MATERIALIZED (
    -- Drop a row inside a run: the only row at its ap, the previous ap held by a single
    -- row of the same status (prev_k = k - c), the next ap led by the same status
    -- (next_k = k + c). Materialized: the few rows left are split up below.
    SELECT
        k // getvariable('coverage_span_c') AS ap,
        k % getvariable('coverage_span_c') AS code,
        prev_k // getvariable('coverage_span_c') AS prev_ap,
        next_k // getvariable('coverage_span_c') AS next_ap,
        next_k % getvariable('coverage_span_c') AS next_code
    FROM ordered
    WHERE NOT coalesce(
        prev_k = k - getvariable('coverage_span_c')
        AND next_k = k + getvariable('coverage_span_c')
        AND prev2_k // getvariable('coverage_span_c')
            IS DISTINCT FROM prev_k // getvariable('coverage_span_c'),
        false
    )
),
positions AS (
    -- One row per ap: the winning status, and whether the next poll continues it.
    SELECT
        ap,
        code,
        coalesce(next_ap = ap + 1 AND next_code = code, false) AS continues
    FROM boundaries
    WHERE prev_ap IS DISTINCT FROM ap AND next_ap IS DISTINCT FROM ap
    UNION ALL
    SELECT
        ap,
        min(code) AS code,
        -- the last row of the ap carries the next ap; its next_ap is the largest
        coalesce(max(next_ap) = ap + 1 AND arg_max(next_code, next_ap) = min(code), false)
            AS continues
    FROM boundaries
    WHERE prev_ap = ap OR next_ap = ap
    GROUP BY ap
),
flagged AS (
    -- A run ends at every position that does not continue and starts after one (or at the
    -- first position). Every position of a run holds the run's status.
    SELECT
        ap,
        code,
        continues,
        NOT coalesce(lag(continues) OVER (ORDER BY ap), false) AS starts
    FROM positions
),
runs AS MATERIALIZED (
    -- Among the starts and ends only, a run's end follows its start (or is its start).
    -- Materialized so that the two look-ups of the polls below stay separate joins.
    SELECT
        first_ap // getvariable('coverage_span_m') AS agent,
        first_ap % getvariable('coverage_span_m') AS first_pos,
        ap % getvariable('coverage_span_m') AS last_pos,
        ap - first_ap + 1 AS observations,
        code + 1 AS code
    FROM (
        SELECT
            ap,
            code,
            continues,
            CASE WHEN starts THEN ap ELSE lag(ap) OVER (ORDER BY ap) END AS first_ap
        FROM flagged
        WHERE starts OR NOT continues
    )
    WHERE NOT continues
),
members AS (
    SELECT scope_key, agent, max(agent_id) AS agent_id, max(user_id) AS user_id
    FROM coverage_span_listed
    GROUP BY scope_key, agent
),
status_codes AS (
    SELECT DISTINCT
        status,
        CASE flag WHEN 1 THEN true WHEN 2 THEN false END AS busy_productive,
        code
    FROM coverage_span_listed
),
started AS MATERIALIZED (
    SELECT r.*, fp.scope_key, fp.observed_at
    FROM runs AS r
    JOIN coverage_span_polls AS fp
      ON fp.pos = r.first_pos
)
SELECT
    $day AS day,
    r.scope_key,
    m.agent_id,
    m.user_id,
    c.status,
    c.busy_productive,
    greatest(r.observed_at, $day_start) AS span_start,
    least(lp.window_end, $day_end) AS span_end,
    r.observations
FROM started AS r
JOIN coverage_span_polls AS lp
  ON lp.pos = r.last_pos
JOIN members AS m
  ON m.agent = r.agent AND m.scope_key = r.scope_key
JOIN status_codes AS c
  ON c.code = r.code
WHERE least(lp.window_end, $day_end) > greatest(r.observed_at, $day_start);

DROP TABLE coverage_span_polls;

DROP TABLE coverage_span_listed;

RESET VARIABLE coverage_span_m;

RESET VARIABLE coverage_span_c;

RESET VARIABLE coverage_span_narrow;
