-- Rebuild one day of coverage_intervals and coverage_status_intervals (inside one
-- transaction, after agent_status_spans of the day). Parameters: $day (DATE), $day_start /
-- $day_end (TIMESTAMPTZ), $lookback_start (TIMESTAMPTZ), $max_gap (INTERVAL), $step_minutes
-- and $intervals (INTEGER), $time_zone (VARCHAR). Needs the macros of macros.sql.
--
-- Time is handled as integer microseconds since the epoch (epoch_us) so that the cell a
-- moment falls in is arithmetic, (us - day start) // step, instead of a join on ranges.
--
-- The basis of each scope is coverage_bases (written with the spans, spans_history.sql). A
-- provisional scope is observed inside its poll windows; a finalized scope is observed all
-- day (its spans are exact), cut into pieces where its AVAILABLE head count changes so that
-- min/max available and the zero-available share are exact too. For every scope the grid
-- also keeps what the polls alone saw: polled_seconds, and the poll-based available and
-- on-queue averages (from coverage_polled_spans for a finalized scope).

DELETE FROM coverage_intervals WHERE day = $day;

DELETE FROM coverage_status_intervals WHERE day = $day;

-- Per grid cell: observed time, AVAILABLE head counts over the observed pieces, polls inside,
-- time inside poll windows.
CREATE OR REPLACE TEMP TABLE coverage_cells_work AS
WITH bounds AS (
    SELECT
        epoch_us($day_start) AS start_us,
        epoch_us($day_end) AS end_us,
        $step_minutes * 60000000::BIGINT AS step_us
),
finalized AS (
    SELECT scope_key FROM coverage_bases WHERE day = $day AND basis = 'finalized'
),
available_steps AS (
    -- The AVAILABLE head count of a scope as a step function of time, from the spans: +1 at
    -- each AVAILABLE span's start, -1 at its end. Poll-based spans are unions of poll windows,
    -- so the value at a window's start is the count at that window's poll (constant over it).
    SELECT
        scope_key,
        at_us,
        sum(delta) OVER (PARTITION BY scope_key ORDER BY at_us) AS available
    FROM (
        SELECT scope_key, at_us, sum(delta) AS delta
        FROM (
            SELECT scope_key, epoch_us(span_start) AS at_us, 1 AS delta
            FROM agent_status_spans
            WHERE day = $day AND status = 'AVAILABLE'
            UNION ALL
            SELECT scope_key, epoch_us(span_end) AS at_us, -1 AS delta
            FROM agent_status_spans
            WHERE day = $day AND status = 'AVAILABLE'
        )
        GROUP BY scope_key, at_us
    )
),
windows AS (
    -- Poll observation windows clipped to the day (chosen for a provisional scope) ...
    SELECT
        w.scope_key,
        epoch_us(w.observed_at) AS poll_us,
        epoch_us(greatest(w.observed_at, $day_start)) AS from_us,
        epoch_us(least(w.window_end, $day_end)) AS to_us,
        true AS polled,
        f.scope_key IS NULL AS chosen
    FROM coverage_poll_windows($lookback_start, $day_end, $max_gap) AS w
    LEFT JOIN finalized AS f
      ON f.scope_key = w.scope_key
    WHERE least(w.window_end, $day_end) > greatest(w.observed_at, $day_start)
    UNION ALL
    -- ... and, for a finalized scope, the whole day cut where its AVAILABLE count changes.
    SELECT
        p.scope_key,
        NULL AS poll_us,
        p.at_us AS from_us,
        coalesce(lead(p.at_us) OVER (PARTITION BY p.scope_key ORDER BY p.at_us), b.end_us)
            AS to_us,
        false AS polled,
        true AS chosen
    FROM (
        SELECT f.scope_key, b.start_us AS at_us
        FROM finalized AS f, bounds AS b
        UNION
        SELECT a.scope_key, a.at_us
        FROM available_steps AS a
        SEMI JOIN finalized AS f
          ON f.scope_key = a.scope_key, bounds AS b
        WHERE a.at_us > b.start_us AND a.at_us < b.end_us
    ) AS p, bounds AS b
),
counted_windows AS (
    SELECT w.*, coalesce(a.available, 0) AS available
    FROM windows AS w
    ASOF LEFT JOIN available_steps AS a
      ON a.scope_key = w.scope_key AND w.from_us >= a.at_us
),
window_cells AS (
    -- Each window once per cell it overlaps, with the overlap in microseconds.
    SELECT
        scope_key,
        i,
        polled,
        chosen,
        available,
        least(to_us, b.start_us + (i + 1) * b.step_us, b.end_us)
            - greatest(from_us, b.start_us + i * b.step_us) AS overlap_us,
        poll_us >= b.start_us + i * b.step_us AS poll_inside
    FROM (
        SELECT
            w.*,
            unnest(range((w.from_us - b.start_us) // b.step_us,
                         (w.to_us - 1 - b.start_us) // b.step_us + 1)) AS i
        FROM counted_windows AS w, bounds AS b
    ), bounds AS b
),
cells AS (
    SELECT
        scope_key,
        i,
        sum(overlap_us) FILTER (WHERE chosen) AS observed_us,
        sum(CASE WHEN available = 0 THEN overlap_us ELSE 0 END) FILTER (WHERE chosen)
            AS zero_available_us,
        min(available) FILTER (WHERE chosen) AS min_available,
        max(available) FILTER (WHERE chosen) AS max_available,
        count(*) FILTER (WHERE polled AND poll_inside) AS observations,
        sum(overlap_us) FILTER (WHERE polled) AS polled_us
    FROM window_cells
    GROUP BY scope_key, i
)
SELECT
    g.scope_key,
    g.i,
    g.interval_start,
    g.interval_end,
    g.local_start,
    epoch_us(g.interval_end) - epoch_us(g.interval_start) AS cell_us,
    coalesce(c.observed_us, 0) AS observed_us,
    c.zero_available_us,
    c.min_available,
    c.max_available,
    coalesce(c.observations, 0) AS observations,
    coalesce(c.polled_us, 0) AS polled_us,
    CASE WHEN f.scope_key IS NULL THEN 'provisional' ELSE 'finalized' END AS basis
FROM coverage_grid($day_start, $day_end, $step_minutes, $intervals, $time_zone) AS g
LEFT JOIN cells AS c
  ON c.scope_key = g.scope_key AND c.i = g.i
LEFT JOIN (SELECT scope_key FROM coverage_bases WHERE day = $day AND basis = 'finalized') AS f
  ON f.scope_key = g.scope_key;

-- Agent-microseconds per cell, status and busy_productive flag (NULL except for BUSY); polled
-- = false for the spans the grid counts (agent_status_spans), true for the poll-based spans
-- of finalized scopes (coverage_polled_spans).
CREATE OR REPLACE TEMP TABLE coverage_status_cells_work AS
WITH bounds AS (
    SELECT
        epoch_us($day_start) AS start_us,
        epoch_us($day_end) AS end_us,
        $step_minutes * 60000000::BIGINT AS step_us
),
span_cells AS (
    SELECT
        s.scope_key,
        s.polled,
        s.status,
        s.busy_productive,
        s.i,
        least(s.to_us, b.start_us + (s.i + 1) * b.step_us, b.end_us)
            - greatest(s.from_us, b.start_us + s.i * b.step_us) AS overlap_us
    FROM (
        SELECT
            scope_key,
            polled,
            status,
            busy_productive,
            from_us,
            to_us,
            unnest(range((from_us - b.start_us) // b.step_us,
                         (to_us - 1 - b.start_us) // b.step_us + 1)) AS i
        FROM (
            SELECT
                scope_key,
                false AS polled,
                status,
                busy_productive,
                epoch_us(span_start) AS from_us,
                epoch_us(span_end) AS to_us
            FROM agent_status_spans
            WHERE day = $day
            UNION ALL
            SELECT
                scope_key,
                true AS polled,
                status,
                busy_productive,
                epoch_us(span_start) AS from_us,
                epoch_us(span_end) AS to_us
            FROM coverage_polled_spans
            WHERE day = $day
        ), bounds AS b
    ) AS s, bounds AS b
)
SELECT scope_key, polled, i, status, busy_productive, sum(overlap_us) AS agent_us
FROM span_cells
GROUP BY ALL;

-- Long form: agent-seconds per status per cell, every status kept (custom ones too).
INSERT INTO coverage_status_intervals
    (day, scope_key, interval_start, status, avg_agents, agent_seconds, basis)
SELECT
    $day AS day,
    c.scope_key,
    c.interval_start,
    s.status,
    s.agent_us / c.observed_us AS avg_agents,
    s.agent_us / 1e6 AS agent_seconds,
    c.basis
FROM (
    SELECT scope_key, i, status, sum(agent_us) AS agent_us
    FROM coverage_status_cells_work
    WHERE NOT polled
    GROUP BY scope_key, i, status
) AS s
JOIN coverage_cells_work AS c
  ON c.scope_key = s.scope_key AND c.i = s.i
WHERE c.observed_us > 0;

-- The grid: figures over the observed part of each cell; an unobserved cell keeps its row
-- with observed_share 0 and NULL figures.
INSERT INTO coverage_intervals
    (day, scope_key, interval_start, interval_end, local_start, observed_seconds,
     observed_share, avg_available, avg_busy, avg_away, avg_offline, avg_other, staffed,
     min_available, max_available, occupancy, zero_available_share, observations,
     avg_busy_productive, avg_busy_other, avg_on_queue, avg_logged_in, shrinkage,
     busy_capacity_known, basis, polled_seconds, polled_available, polled_on_queue)
WITH polled_status AS (
    -- What the polls alone saw of a finalized scope (its poll-based spans).
    SELECT
        scope_key,
        i,
        sum(agent_us) FILTER (WHERE status = 'AVAILABLE') / 1e6 AS available_s,
        sum(agent_us) FILTER (
            WHERE status = 'AVAILABLE' OR (status = 'BUSY' AND coalesce(busy_productive, true))
        ) / 1e6 AS on_queue_s
    FROM coverage_status_cells_work
    WHERE polled
    GROUP BY scope_key, i
),
per_status AS (
    SELECT
        scope_key,
        i,
        sum(agent_us) FILTER (WHERE status = 'AVAILABLE') / 1e6 AS available_s,
        sum(agent_us) FILTER (WHERE status = 'BUSY') / 1e6 AS busy_s,
        -- productive BUSY: used capacity on some channel, or no capacity data (unknown)
        sum(agent_us) FILTER (
            WHERE status = 'BUSY' AND coalesce(busy_productive, true)
        ) / 1e6 AS busy_productive_s,
        sum(agent_us) FILTER (WHERE status = 'BUSY' AND NOT busy_productive) / 1e6 AS busy_other_s,
        sum(agent_us) FILTER (
            WHERE status = 'BUSY' AND busy_productive IS NOT NULL
        ) / 1e6 AS busy_known_s,
        sum(agent_us) FILTER (WHERE status = 'AWAY') / 1e6 AS away_s,
        sum(agent_us) FILTER (WHERE status = 'OFFLINE') / 1e6 AS offline_s,
        sum(agent_us) FILTER (
            WHERE status NOT IN ('AVAILABLE', 'BUSY', 'AWAY', 'OFFLINE')
        ) / 1e6 AS other_s,
        sum(agent_us) FILTER (WHERE status <> 'OFFLINE') / 1e6 AS logged_in_s
    FROM coverage_status_cells_work
    WHERE NOT polled
    GROUP BY scope_key, i
),
figures AS (
    SELECT
        c.scope_key,
        c.interval_start,
        c.interval_end,
        c.local_start,
        c.observed_us / 1e6 AS observed_seconds,
        c.observed_us / c.cell_us AS observed_share,
        c.observed_us > 0 AS observed,
        c.zero_available_us,
        c.min_available,
        c.max_available,
        c.observations,
        coalesce(p.available_s, 0) AS available_s,
        coalesce(p.busy_s, 0) AS busy_s,
        coalesce(p.away_s, 0) AS away_s,
        coalesce(p.offline_s, 0) AS offline_s,
        coalesce(p.other_s, 0) AS other_s,
        coalesce(p.busy_productive_s, 0) AS busy_productive_s,
        coalesce(p.busy_other_s, 0) AS busy_other_s,
        coalesce(p.busy_known_s, 0) AS busy_known_s,
        coalesce(p.logged_in_s, 0) AS logged_in_s,
        c.observed_us,
        c.basis,
        c.polled_us,
        coalesce(q.available_s, 0) AS polled_available_s,
        coalesce(q.on_queue_s, 0) AS polled_on_queue_s
    FROM coverage_cells_work AS c
    LEFT JOIN per_status AS p
      ON p.scope_key = c.scope_key AND p.i = c.i
    LEFT JOIN polled_status AS q
      ON q.scope_key = c.scope_key AND q.i = c.i
)
SELECT
    $day AS day,
    scope_key,
    interval_start,
    interval_end,
    local_start,
    observed_seconds,
    observed_share,
    CASE WHEN observed THEN available_s / observed_seconds END AS avg_available,
    CASE WHEN observed THEN busy_s / observed_seconds END AS avg_busy,
    CASE WHEN observed THEN away_s / observed_seconds END AS avg_away,
    CASE WHEN observed THEN offline_s / observed_seconds END AS avg_offline,
    CASE WHEN observed THEN other_s / observed_seconds END AS avg_other,
    CASE WHEN observed THEN (available_s + busy_s) / observed_seconds END AS staffed,
    CASE WHEN observed THEN min_available END AS min_available,
    CASE WHEN observed THEN max_available END AS max_available,
    CASE WHEN observed AND available_s + busy_s > 0
         THEN busy_s / (available_s + busy_s) END AS occupancy,
    CASE WHEN observed THEN zero_available_us / observed_us END AS zero_available_share,
    observations,
    CASE WHEN observed THEN busy_productive_s / observed_seconds END AS avg_busy_productive,
    CASE WHEN observed THEN busy_other_s / observed_seconds END AS avg_busy_other,
    CASE WHEN observed THEN (available_s + busy_productive_s) / observed_seconds END
        AS avg_on_queue,
    CASE WHEN observed THEN logged_in_s / observed_seconds END AS avg_logged_in,
    CASE WHEN observed AND logged_in_s > 0
         THEN 1 - (available_s + busy_productive_s) / logged_in_s END AS shrinkage,
    CASE WHEN observed AND busy_s > 0 THEN busy_known_s / busy_s END AS busy_capacity_known,
    basis,
    polled_us / 1e6 AS polled_seconds,
    CASE WHEN basis = 'provisional' AND observed THEN available_s / observed_seconds
         WHEN polled_us > 0 THEN polled_available_s * 1e6 / polled_us END AS polled_available,
    CASE WHEN basis = 'provisional' AND observed
         THEN (available_s + busy_productive_s) / observed_seconds
         WHEN polled_us > 0 THEN polled_on_queue_s * 1e6 / polled_us END AS polled_on_queue
FROM figures;

DROP TABLE coverage_status_cells_work;

DROP TABLE coverage_cells_work;
