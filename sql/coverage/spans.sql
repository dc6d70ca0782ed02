-- Rebuild one day of agent_status_spans (run inside one transaction by pipelines/coverage.py).
-- Parameters: $day (DATE), $day_start / $day_end (TIMESTAMPTZ, the day's UTC bounds),
-- $lookback_start (= $day_start - max gap: no earlier poll's window can reach the day),
-- $max_gap (INTERVAL). Needs the macros of macros.sql.
--
-- Definition: an agent listed with status s at a successful poll t of scope S holds s over
-- t's window [t, min(next successful poll of S, t + max gap)); windows of one status at
-- consecutive polls that touch are merged into one span; spans are clipped to the day.
--
-- How (one sort of the snapshots, then work on run boundaries only):
-- 1. Number the polls of each scope with pos, consecutive (pos + 1) exactly when one poll's
--    window reaches the next poll: every gap longer than the maximum skips a number.
-- 2. Code statuses by precedence (1 = BUSY, 2 = AVAILABLE, 3 = AWAY, then other statuses
--    alphabetically, OFFLINE last) and number the (scope, agent) pairs, so the big sort runs
--    on integers.
-- 3. Sort each (scope, agent) by (pos, code): the first row at a pos is the status that wins
--    when an agent is listed twice in one response. With lag/lead, drop every row in the
--    middle of a run (a single row whose previous and next polls hold the same status);
--    what is left are run starts, run ends and the rare duplicated polls.
-- 4. On that small set, resolve duplicates, mark where a run does not continue into the next
--    poll, number the runs, and map their first and last pos back to times.

DELETE FROM agent_status_spans WHERE day = $day;

INSERT INTO agent_status_spans
    (day, scope_key, agent_id, user_id, status, span_start, span_end, observations)
WITH polls AS (
    SELECT * FROM coverage_poll_windows($lookback_start, $day_end, $max_gap)
),
linked_polls AS (
    SELECT
        scope_key,
        observed_at,
        window_end,
        CAST(seq + sum(broken) OVER (PARTITION BY scope_key ORDER BY observed_at
                                     ROWS UNBOUNDED PRECEDING) AS BIGINT) AS pos
    FROM (
        SELECT
            *,
            CASE WHEN lag(window_end) OVER (PARTITION BY scope_key ORDER BY observed_at)
                      < observed_at THEN 1 ELSE 0 END AS broken
        FROM polls
    )
),
status_codes AS (
    SELECT
        status,
        CAST(row_number() OVER (
            ORDER BY
                CASE status
                    WHEN 'BUSY' THEN 1
                    WHEN 'AVAILABLE' THEN 2
                    WHEN 'AWAY' THEN 3
                    WHEN 'OFFLINE' THEN 5
                    ELSE 4
                END,
                status
        ) AS INTEGER) AS code
    FROM (
        SELECT DISTINCT status
        FROM snapshots
        WHERE observed_at >= $lookback_start AND observed_at < $day_end
    )
),
members AS (
    -- One number per (scope, agent); user_id is the agent's (largest) user id of the period.
    SELECT
        scope_key,
        agent_id,
        user_id,
        CAST(row_number() OVER () AS BIGINT) AS member
    FROM (
        SELECT scope_key, agent_id, max(user_id) AS user_id
        FROM snapshots
        WHERE observed_at >= $lookback_start AND observed_at < $day_end
        GROUP BY scope_key, agent_id
    )
),
coded AS (
    SELECT m.member, c.code, p.pos
    FROM snapshots AS s
    JOIN linked_polls AS p
      ON p.scope_key = s.scope_key AND p.observed_at = s.observed_at
    JOIN status_codes AS c
      ON c.status = s.status
    JOIN members AS m
      ON m.scope_key = s.scope_key AND m.agent_id = s.agent_id
    WHERE s.observed_at >= $lookback_start AND s.observed_at < $day_end
),
neighbours AS (
    SELECT
        member,
        code,
        pos,
        lag(pos) OVER by_member AS prev_pos,
        lag(pos, 2) OVER by_member AS prev2_pos,
        lag(code) OVER by_member AS prev_code,
        lead(pos) OVER by_member AS next_pos,
        lead(code) OVER by_member AS next_code
    FROM coded
    WINDOW by_member AS (PARTITION BY member ORDER BY pos, code)
),
boundaries AS (
    -- Drop a row inside a run: the only row at its pos, the previous pos held by a single
    -- row of the same status, the next pos led by the same status.
    SELECT *
    FROM neighbours
    WHERE NOT coalesce(
        prev_pos = pos - 1
        AND next_pos = pos + 1
        AND prev_code = code
        AND next_code = code
        AND prev2_pos IS DISTINCT FROM prev_pos,
        false
    )
),
positions AS (
    -- One row per (member, pos): the winning status, and whether the next poll continues it.
    SELECT
        member,
        pos,
        code,
        coalesce(next_pos = pos + 1 AND next_code = code, false) AS continues
    FROM boundaries
    WHERE prev_pos IS DISTINCT FROM pos AND next_pos IS DISTINCT FROM pos
    UNION ALL
    SELECT
        member,
        pos,
        min(code) AS code,
        -- the last row of the pos carries the next pos; its next_pos is the largest
        coalesce(max(next_pos) = pos + 1 AND arg_max(next_code, next_pos) = min(code), false)
            AS continues
    FROM boundaries
    WHERE prev_pos = pos OR next_pos = pos
    GROUP BY member, pos
),
numbered AS (
    -- A run ends at every position that does not continue: count the ends before each row.
    SELECT
        member,
        pos,
        code,
        sum(CASE WHEN continues THEN 0 ELSE 1 END) OVER (
            PARTITION BY member ORDER BY pos ROWS UNBOUNDED PRECEDING
        ) - CASE WHEN continues THEN 0 ELSE 1 END AS run
    FROM positions
),
runs AS (
    SELECT member, min(pos) AS first_pos, max(pos) AS last_pos, arg_min(code, pos) AS code
    FROM numbered
    GROUP BY member, run
)
SELECT
    $day AS day,
    m.scope_key,
    m.agent_id,
    m.user_id,
    c.status,
    greatest(f.observed_at, $day_start) AS span_start,
    least(l.window_end, $day_end) AS span_end,
    r.last_pos - r.first_pos + 1 AS observations
FROM runs AS r
JOIN members AS m
  ON m.member = r.member
JOIN linked_polls AS f
  ON f.scope_key = m.scope_key AND f.pos = r.first_pos
JOIN linked_polls AS l
  ON l.scope_key = m.scope_key AND l.pos = r.last_pos
JOIN status_codes AS c
  ON c.code = r.code
WHERE least(l.window_end, $day_end) > greatest(f.observed_at, $day_start);
