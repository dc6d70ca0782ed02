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

-- The grid's cells as the rows of a planner's file see them (requirement rules, schedules):
-- the cell's local date, ISO weekday (1 = Monday) and local minute of day. A file row
-- matches a cell when local_row_matches (below) holds.
CREATE OR REPLACE TEMP MACRO coverage_local_cells(day_start, day_end, step_minutes, intervals,
    time_zone)
AS TABLE
SELECT
    scope_key,
    interval_start,
    local_start,
    CAST(local_start AS DATE) AS local_date,
    isodow(local_start) AS local_weekday,
    hour(local_start) * 60 + minute(local_start) AS local_minute
FROM coverage_grid(day_start, day_end, step_minutes, intervals, time_zone);

-- A file row in LOCAL wall time (a day_date OR an ISO weekday, minutes [start, end)) matches
-- a cell of coverage_local_cells. On a spring-forward day the skipped hour has no cells; on
-- a fall-back day both cells of the repeated hour match.
CREATE OR REPLACE TEMP MACRO local_row_matches(day_date, weekday, start_minute, end_minute,
    local_date, local_weekday, local_minute) AS
    (day_date = local_date OR weekday = local_weekday)
    AND start_minute <= local_minute
    AND local_minute < end_minute;

-- Membership mode (ticks.mode = 'membership'): a tick asks once for all agents and lands ONE
-- answer, scope 'all'; it observes every skill and queue at once, each with the agents whose
-- membership (table membership, validity [valid_from, valid_to)) held at the answer's
-- observed_at. These two macros expand such answers; per-scope ticks are read as they are, so
-- a period without membership-mode ticks gives exactly the rows it gave before.

-- The per-scope observation points of membership-mode answers: every skill:/queue: scope of
-- the scopes table whose membership the account knew at observed_at (first listed at or
-- before it; a scope whose members have all left is observed with zero agents, as a
-- per-scope request answered with empty lists would be).
CREATE OR REPLACE TEMP MACRO coverage_membership_points(lookback_start, day_end)
AS TABLE
WITH answers AS (
    SELECT DISTINCT r.account_id, r.observed_at
    FROM raw_responses AS r
    JOIN ticks AS t
      ON t.tick_id = r.tick_id
    WHERE t.mode = 'membership'
      AND r.scope_key = 'all'
      AND r.outcome = 'ok'
      AND r.observed_at >= lookback_start
      AND r.observed_at < day_end
),
known AS (
    SELECT m.account_id, m.scope_key, min(m.valid_from) AS known_from
    FROM membership AS m
    SEMI JOIN scopes AS s
      ON s.scope_key = m.scope_key
    WHERE m.valid_from < day_end
    GROUP BY m.account_id, m.scope_key
)
SELECT k.scope_key, a.observed_at
FROM answers AS a
JOIN known AS k
  ON k.account_id = a.account_id AND k.known_from <= a.observed_at
UNION ALL
-- A named agent list (kind 'agents') is observed by every membership-mode answer: its
-- members are the listed agent IDs.
SELECT s.scope_key, a.observed_at
FROM answers AS a
CROSS JOIN scopes AS s
WHERE s.kind = 'agents';

-- Whether an agent was handling contacts at a tick, from channel_capacity (filled per tick
-- and agent by sql/ingest/agents.sql from the answer's channelCapacity): true when some
-- channel had used capacity > 0, false when capacity data came and none was used, and no
-- row (read as NULL: unknown) when no used capacity was reported. A tick's agents are all
-- observed within its deadline (seconds), so the hour of margin only bounds the scan.
CREATE OR REPLACE TEMP MACRO coverage_busy_capacity(lookback_start, day_end)
AS TABLE
SELECT tick_id, agent_id, bool_or(used_capacity > 0) AS productive
FROM channel_capacity
WHERE observed_at >= lookback_start - INTERVAL 1 HOUR
  AND observed_at < day_end + INTERVAL 1 HOUR
  AND used_capacity IS NOT NULL
GROUP BY tick_id, agent_id;

-- The stored snapshots of the period, each BUSY row with busy_productive (NULL for every
-- other status, and for BUSY without capacity data). channel_capacity is per tick and agent,
-- so the flag of a membership-mode 'all' row holds in every scope it is expanded to.
CREATE OR REPLACE TEMP MACRO coverage_snapshots(lookback_start, day_end)
AS TABLE
SELECT
    s.tick_id,
    s.scope_key,
    s.observed_at,
    s.agent_id,
    s.user_id,
    s.status,
    CASE WHEN s.status = 'BUSY' THEN c.productive END AS busy_productive
FROM snapshots AS s
LEFT JOIN coverage_busy_capacity(lookback_start, day_end) AS c
  ON c.tick_id = s.tick_id AND c.agent_id = s.agent_id
WHERE s.observed_at >= lookback_start AND s.observed_at < day_end;

-- Every agent listing of the period: the snapshots as stored (per-scope answers, and the
-- 'all' answers of both modes) plus each membership-mode 'all' listing once per scope of the
-- scopes table the agent was a member of at observed_at. Columns as in snapshots, plus
-- busy_productive (coverage_snapshots).
CREATE OR REPLACE TEMP MACRO coverage_observations(lookback_start, day_end)
AS TABLE
-- Inlined into each branch: materializing every listing of the period once measured slower
-- than reading it three times with the branches' filters pushed down.
WITH listed AS NOT MATERIALIZED (
    SELECT * FROM coverage_snapshots(lookback_start, day_end)
)
SELECT scope_key, observed_at, agent_id, user_id, status, busy_productive
FROM listed
UNION ALL
SELECT m.scope_key, s.observed_at, s.agent_id, s.user_id, s.status, s.busy_productive
FROM listed AS s
JOIN ticks AS t
  ON t.tick_id = s.tick_id
JOIN membership AS m
  ON m.account_id = t.account_id
 AND m.agent_id = s.agent_id
 AND s.observed_at >= m.valid_from
 AND (m.valid_to IS NULL OR s.observed_at < m.valid_to)
SEMI JOIN scopes AS sc
  ON sc.scope_key = m.scope_key
WHERE t.mode = 'membership'
  AND s.scope_key = 'all'
UNION ALL
SELECT sc.scope_key, s.observed_at, s.agent_id, s.user_id, s.status, s.busy_productive
FROM listed AS s
JOIN ticks AS t
  ON t.tick_id = s.tick_id
JOIN scopes AS sc
  ON sc.kind = 'agents' AND list_contains(sc.agent_ids, s.agent_id)
WHERE t.mode = 'membership'
  AND s.scope_key = 'all';

-- Observation windows: each successful poll of a scope at t opens [t, window_end) with
-- window_end = min(next successful poll of the scope, t + max_gap). Two successful responses
-- for one scope at the same instant are one observation point. Polls from lookback_start
-- (the day's start - max_gap) are read so that a window reaching into the day is seen. The
-- polls of a scope are its own successful answers (per-scope mode) and the membership-mode
-- answers that observe it (coverage_membership_points).
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
    SELECT scope_key, observed_at
    FROM raw_responses
    WHERE outcome = 'ok'
      AND observed_at >= lookback_start
      AND observed_at < day_end
      AND tick_id NOT IN (SELECT tick_id FROM tick_landing)  -- not yet published (migration 012)
    UNION
    SELECT scope_key, observed_at
    FROM coverage_membership_points(lookback_start, day_end)
)
WINDOW by_scope AS (PARTITION BY scope_key ORDER BY observed_at);

-- Finalized coverage: a local day whose exact status history is complete (an account's fetch
-- of the day completed and covered the whole local day, migration 010) is counted from
-- agent_status_history instead of polls, for every scope whose members are known.

-- The accounts whose history of the local day for_day is complete.
CREATE OR REPLACE TEMP MACRO coverage_history_accounts(for_day)
AS TABLE
SELECT DISTINCT account_id
FROM status_history_fetches
WHERE day = for_day AND completed_at IS NOT NULL AND covers_day;

-- Membership for history: the membership rows of the period, except that the rows of the
-- account's first listing (its earliest valid_from) are taken to hold since ever
-- (valid_from NULL): before the first refresh nothing better is known than that listing, so a
-- backfill over days before it counts their skills and queues with it (the report says so).
CREATE OR REPLACE TEMP MACRO coverage_history_membership(day_start, day_end)
AS TABLE
SELECT account_id, agent_id, user_id, scope_key, valid_from, valid_to
FROM (
    SELECT
        m.account_id,
        m.agent_id,
        m.user_id,
        m.scope_key,
        CASE WHEN m.valid_from > f.first_from THEN m.valid_from END AS valid_from,
        m.valid_to
    FROM membership AS m
    JOIN (SELECT account_id, min(valid_from) AS first_from FROM membership GROUP BY account_id)
        AS f
      ON f.account_id = m.account_id
    SEMI JOIN scopes AS s
      ON s.scope_key = m.scope_key
)
WHERE (valid_from IS NULL OR valid_from < day_end)
  AND (valid_to IS NULL OR valid_to > day_start);

-- The scopes a day is finalized for: none unless some account's history of the day is
-- complete; then 'all', every named agent list, and every skill and queue whose membership an
-- account with complete history knows (a scope whose members have all left is finalized with
-- zero agents, as the polls observe it). Other skills and queues (per-scope acquisition
-- without the agents listing) stay provisional.
CREATE OR REPLACE TEMP MACRO coverage_finalized_scopes(for_day)
AS TABLE
SELECT s.scope_key
FROM scopes AS s
WHERE EXISTS (SELECT 1 FROM coverage_history_accounts(for_day))
  AND (
      s.kind IN ('all', 'agents')
      OR s.scope_key IN (
          SELECT m.scope_key
          FROM membership AS m
          SEMI JOIN coverage_history_accounts(for_day) AS a
            ON a.account_id = m.account_id
      )
  );

-- The exact spans of one day per finalized scope: agent_status_history of the accounts with
-- complete history, clipped to the day, with the time of the day no span covers counted as
-- OFFLINE (Kore may leave logged-out time out) for every agent that has a span that day or a
-- membership valid in it. A BUSY span is productive unless its custom status name
-- (secondary_status, compared trimmed and lower case) is one of nonproductive (a list of lower
-- case names, AVAILABILITY_NONPRODUCTIVE_BUSY); never unknown. Agents are matched to the
-- membership listing by agent_id (Kore's aId = the listing's id = the availability _id).
-- 'all' holds every agent, a named list its listed IDs, a skill or queue its members while
-- their membership was valid (coverage_history_membership).
CREATE OR REPLACE TEMP MACRO coverage_history_spans(for_day, day_start, day_end, nonproductive)
AS TABLE
WITH accounts AS (
    SELECT * FROM coverage_history_accounts(for_day)
),
exact AS (
    SELECT
        h.account_id,
        h.agent_id,
        h.user_id,
        h.bucket AS status,
        h.secondary_status,
        greatest(h.span_start, day_start) AS span_start,
        least(h.span_end, day_end) AS span_end
    FROM agent_status_history AS h
    SEMI JOIN accounts AS a
      ON a.account_id = h.account_id
    WHERE h.day = for_day AND least(h.span_end, day_end) > greatest(h.span_start, day_start)
),
members AS (
    SELECT m.*
    FROM coverage_history_membership(day_start, day_end) AS m
    SEMI JOIN accounts AS a
      ON a.account_id = m.account_id
),
agents AS (
    SELECT account_id, agent_id, max(user_id) AS user_id
    FROM (
        SELECT account_id, agent_id, user_id FROM exact
        UNION ALL
        SELECT account_id, agent_id, user_id FROM members
    )
    GROUP BY account_id, agent_id
),
gaps AS (
    -- Before each span: from the latest end of the agent's earlier spans (or the day start);
    -- after the last: to the day end.
    SELECT
        account_id,
        agent_id,
        coalesce(
            max(span_end) OVER (
                PARTITION BY account_id, agent_id
                ORDER BY span_start, span_end
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ),
            day_start
        ) AS gap_start,
        span_start AS gap_end
    FROM exact
    UNION ALL
    SELECT a.account_id, a.agent_id, coalesce(max(e.span_end), day_start), day_end
    FROM agents AS a
    LEFT JOIN exact AS e
      ON e.account_id = a.account_id AND e.agent_id = a.agent_id
    GROUP BY a.account_id, a.agent_id
),
spans AS (
    SELECT
        account_id,
        agent_id,
        status,
        secondary_status,
        CASE WHEN status = 'BUSY'
             THEN NOT list_contains(nonproductive, lower(trim(coalesce(secondary_status, ''))))
        END AS busy_productive,
        span_start,
        span_end
    FROM exact
    UNION ALL
    SELECT account_id, agent_id, 'OFFLINE', NULL, NULL, gap_start, gap_end
    FROM gaps
    WHERE gap_end > gap_start
),
finalized AS (
    SELECT s.scope_key, s.kind, s.agent_ids
    FROM scopes AS s
    SEMI JOIN coverage_finalized_scopes(for_day) AS f
      ON f.scope_key = s.scope_key
)
SELECT
    f.scope_key,
    x.agent_id,
    a.user_id,
    x.status,
    x.busy_productive,
    x.secondary_status,
    x.span_start,
    x.span_end
FROM spans AS x
JOIN agents AS a
  ON a.account_id = x.account_id AND a.agent_id = x.agent_id
JOIN finalized AS f
  ON f.kind = 'all' OR (f.kind = 'agents' AND list_contains(f.agent_ids, x.agent_id))
UNION ALL
SELECT
    m.scope_key,
    x.agent_id,
    a.user_id,
    x.status,
    x.busy_productive,
    x.secondary_status,
    greatest(x.span_start, coalesce(m.valid_from, x.span_start)) AS span_start,
    least(x.span_end, coalesce(m.valid_to, x.span_end)) AS span_end
FROM spans AS x
JOIN agents AS a
  ON a.account_id = x.account_id AND a.agent_id = x.agent_id
JOIN members AS m
  ON m.account_id = x.account_id
 AND m.agent_id = x.agent_id
 AND (m.valid_from IS NULL OR m.valid_from < x.span_end)
 AND (m.valid_to IS NULL OR m.valid_to > x.span_start)
SEMI JOIN finalized AS f
  ON f.scope_key = m.scope_key AND f.kind NOT IN ('all', 'agents');
