-- The inputs of one day's demand requirements, one row per (scope, grid cell): what came for
-- completed cells, the day's demand_forecast for the others. pipelines/demand/requirements.py
-- sizes each row with Erlang A and C. Definitions: the docstring of pipelines/demand/__init__.py.
-- Needs coverage/macros.sql and demand/macros.sql.
--
-- Parameters: $day (DATE), $day_start / $day_end (TIMESTAMPTZ), $step_minutes and $intervals
-- (INTEGER), $time_zone (VARCHAR), $history_start (TIMESTAMPTZ: scopes with volume since then
-- get rows), $now (TIMESTAMPTZ: the build's now), $prior_start (TIMESTAMPTZ: how far back a
-- scope's earlier concurrency is looked up).

WITH grid AS (
    SELECT scope_key, interval_start, interval_end, local_start
    FROM coverage_grid($day_start, $day_end, $step_minutes, $intervals, $time_zone)
),
-- Scopes Kore reports volume for (the coverage grid keeps those of the scopes table).
volume_scopes AS (
    SELECT DISTINCT scope_key FROM demand_volume($history_start, $day_end)
),
-- Kore's volume is known up to demand_volume_end (macros.sql).
known AS (
    SELECT demand_volume_end($now, $day_start) AS volume_end
),
completed AS (
    SELECT g.*, coalesce(a.offered, 0) AS offered, coalesce(a.answered, 0) AS answered,
        coalesce(a.abandoned, 0) AS abandoned, coalesce(a.handle_seconds, 0) AS handle_seconds,
        coalesce(a.wait_answered_seconds, 0) + coalesce(a.wait_abandoned_seconds, 0)
            AS exposure_seconds
    FROM grid AS g
    SEMI JOIN volume_scopes AS v ON v.scope_key = g.scope_key
    CROSS JOIN known AS k
    LEFT JOIN demand_cells($day_start, $day_end, $step_minutes, $time_zone) AS a
      ON a.scope_key = g.scope_key AND a.interval_start = g.interval_start
    WHERE g.interval_end <= k.volume_end
),
-- Patience: the censored exponential MLE over the day's completed cells (every wait is
-- exposure to abandoning; each abandon is one event). AHT of the day: a cell whose contacts
-- were all abandoned borrows it.
day_totals AS (
    SELECT
        scope_key,
        sum(abandoned) AS patience_abandons,
        sum(exposure_seconds) / nullif(sum(abandoned), 0) AS patience_seconds,
        sum(handle_seconds) / nullif(sum(answered), 0) AS aht_day
    FROM completed
    GROUP BY scope_key
),
-- Concurrency: the channel capacity of the scope's agents (those with a status span in the
-- scope that day) over the day so far. The busiest channel is the one with the most used
-- capacity; the concurrency on it is what an agent HANDLING contacts there (used > 0) can hold
-- at once: used + available (its total when available is not sent), averaged over those
-- observations. An agent routed one contact at a time shows 1 used and nothing available,
-- whatever its nominal total. Capacity is summed per agent first, so the join to the scopes
-- is agents x scopes, not polls x spans.
agent_channels AS (
    SELECT
        agent_id,
        channel,
        sum(coalesce(used_capacity, 0)) AS used,
        sum(coalesce(used_capacity + available_capacity, total_capacity))
            FILTER (WHERE used_capacity > 0) AS holding_sum,
        count(*) FILTER (WHERE used_capacity > 0) AS holding_count
    FROM channel_capacity
    WHERE observed_at >= $day_start AND observed_at < least($now, $day_end)
    GROUP BY agent_id, channel
),
scope_agents AS (
    SELECT DISTINCT scope_key, agent_id
    FROM agent_status_spans
    WHERE day = $day
),
capacity AS (
    SELECT
        s.scope_key,
        c.channel,
        sum(c.used) AS used,
        sum(c.holding_sum) / nullif(sum(c.holding_count), 0) AS holding_capacity
    FROM scope_agents AS s
    JOIN agent_channels AS c USING (agent_id)
    GROUP BY s.scope_key, c.channel
),
busiest AS (
    SELECT scope_key, channel, greatest(1.0, coalesce(holding_capacity, 1.0)) AS concurrency
    FROM capacity
    WHERE used > 0
    QUALIFY row_number() OVER (PARTITION BY scope_key ORDER BY used DESC, channel) = 1
),
-- A scope without capacity data today keeps its latest earlier figure.
prior AS (
    SELECT scope_key, channel, concurrency
    FROM demand_requirements
    WHERE day < $day AND interval_start >= $prior_start AND channel IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY scope_key ORDER BY interval_start DESC) = 1
),
scope_concurrency AS (
    SELECT
        v.scope_key,
        coalesce(b.channel, p.channel) AS channel,
        coalesce(b.concurrency, p.concurrency, 1.0) AS concurrency
    FROM volume_scopes AS v
    LEFT JOIN busiest AS b USING (scope_key)
    LEFT JOIN prior AS p USING (scope_key)
),
rows AS (
    SELECT
        c.scope_key, c.interval_start, c.interval_end, c.local_start,
        false AS is_forecast,
        c.offered,
        c.answered,
        c.abandoned,
        coalesce(c.handle_seconds / nullif(c.answered, 0), t.aht_day, f.aht_seconds)
            AS aht_seconds,
        t.patience_seconds,
        t.patience_abandons
    FROM completed AS c
    JOIN day_totals AS t USING (scope_key)
    LEFT JOIN demand_forecast AS f
      ON f.day = $day AND f.scope_key = c.scope_key AND f.interval_start = c.interval_start
    UNION ALL
    SELECT
        f.scope_key, f.interval_start, f.interval_end, f.local_start,
        true AS is_forecast,
        f.offered_forecast AS offered,
        NULL AS answered,
        NULL AS abandoned,
        f.aht_seconds,
        f.patience_seconds,
        NULL AS patience_abandons
    FROM demand_forecast AS f
    WHERE f.day = $day
      AND NOT EXISTS (
          SELECT 1 FROM completed AS c
          WHERE c.scope_key = f.scope_key AND c.interval_start = f.interval_start
      )
)
SELECT
    r.*,
    epoch(r.interval_end - r.interval_start) AS cell_seconds,
    s.channel,
    coalesce(s.concurrency, 1.0) AS concurrency,
    CASE WHEN ci.observed_share > 0 THEN ci.avg_on_queue END AS on_queue
FROM rows AS r
LEFT JOIN scope_concurrency AS s USING (scope_key)
LEFT JOIN coverage_intervals AS ci
  ON ci.day = $day AND ci.scope_key = r.scope_key AND ci.interval_start = r.interval_start
ORDER BY r.scope_key, r.interval_start;
