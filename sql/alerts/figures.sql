-- The latest poll of every scope since $since, its on-queue head count, and the requirement of
-- the current and the next interval (shortfall alerts, pipelines/alerts/figures.py).
-- Parameters: $since, $until (TIMESTAMPTZ: polls observed in [since, until) count), $max_gap
-- (INTERVAL), $current_start, $next_start (TIMESTAMPTZ: the intervals' UTC starts),
-- $current_day, $next_day (DATE: the local days holding them). Needs coverage/macros.sql.
--
-- On-queue is counted as coverage counts it (sql/coverage/intervals.sql): AVAILABLE plus
-- productive BUSY (used capacity on some channel, or no capacity data), one status per agent
-- by the coverage precedence (BUSY productive, unknown, non-productive, then AVAILABLE, ...).
-- A scope observed with no agent listed has on_queue 0; a poll that failed is no observation.
WITH points AS (
    SELECT scope_key, max(observed_at) AS observed_at
    FROM coverage_poll_windows($since, $until, $max_gap)
    GROUP BY scope_key
),
agents AS (
    SELECT
        o.scope_key,
        o.agent_id,
        min(status_rank(o.status) * 10 + CASE WHEN o.busy_productive THEN 0
                                               WHEN o.busy_productive IS NULL THEN 1
                                               ELSE 2 END) AS code
    FROM coverage_observations($since, $until) AS o
    JOIN points AS p
      ON p.scope_key = o.scope_key AND p.observed_at = o.observed_at
    GROUP BY o.scope_key, o.agent_id
),
counts AS (
    -- 10 / 11: BUSY productive or unknown; 21: AVAILABLE (status_rank 2, no BUSY flag)
    SELECT scope_key, count(*) FILTER (WHERE code IN (10, 11, 21)) AS on_queue
    FROM agents
    GROUP BY scope_key
)
SELECT
    p.scope_key,
    coalesce(s.name, p.scope_key) AS scope_name,
    p.observed_at,
    CAST(coalesce(c.on_queue, 0) AS DOUBLE) AS on_queue,
    rc.required_agents AS required,
    rc.source AS requirement_source,
    rn.required_agents AS next_required
FROM points AS p
LEFT JOIN counts AS c
  ON c.scope_key = p.scope_key
LEFT JOIN scopes AS s
  ON s.scope_key = p.scope_key
LEFT JOIN staffing_requirements AS rc
  ON rc.scope_key = p.scope_key AND rc.day = $current_day AND rc.interval_start = $current_start
LEFT JOIN staffing_requirements AS rn
  ON rn.scope_key = p.scope_key AND rn.day = $next_day AND rn.interval_start = $next_start
ORDER BY p.scope_key;
