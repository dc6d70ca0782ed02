-- Shared definitions of the demand SQL, created as TEMP macros before each demand statement
-- group runs (after coverage/macros.sql, whose coverage_grid they use), so "a scope's volume"
-- and "volume on the grid" are written down once. Definitions: pipelines/demand/__init__.py.

-- Kore's contact volume as scopes: a queue-level row (skill_id = '') is the scope
-- 'queue:<id>'; a skillBreakdown row is 'skill:<id>', summed over the queues that route the
-- skill (a multi-skill contact counts once per skill, as Kore counts it); 'all' is every
-- queue-level row (one pool of all agents). Times are totals in seconds (migration 007).
CREATE OR REPLACE TEMP MACRO demand_volume(range_start, range_end)
AS TABLE
SELECT
    CASE WHEN skill_id = '' THEN 'queue:' || queue_id ELSE 'skill:' || skill_id END AS scope_key,
    interval_start, interval_end, offered, answered, abandoned, handle_seconds,
    wait_answered_seconds, wait_abandoned_seconds
FROM contact_volume
WHERE interval_start >= range_start AND interval_start < range_end
UNION ALL
SELECT
    'all' AS scope_key,
    interval_start, interval_end, offered, answered, abandoned, handle_seconds,
    wait_answered_seconds, wait_abandoned_seconds
FROM contact_volume
WHERE skill_id = '' AND interval_start >= range_start AND interval_start < range_end;

-- Volume on the coverage grid, one row per (scope, cell with volume). A volume row longer
-- than a cell (Kore's 15 minutes on a 5-minute grid) is split into equal pieces, each with
-- its share of every count and total: contacts are assumed to arrive evenly within Kore's
-- interval, the only assumption 15-minute data allows (the arrival RATE of each piece is the
-- row's). Rows shorter than a cell (15 minutes on a 30- or 60-minute grid) are summed into
-- the cell that holds them. A cell starts where the local wall clock is a multiple of
-- step_minutes: the piece's start minus its local minute of day modulo the step (whole-hour
-- DST shifts never cut a cell). Counts of split rows are fractional on purpose.
CREATE OR REPLACE TEMP MACRO demand_cells(range_start, range_end, step_minutes, time_zone)
AS TABLE
WITH rows AS (
    SELECT
        *,
        epoch(interval_end - interval_start) / 60.0 AS row_minutes,
        greatest(1, CAST(floor(epoch(interval_end - interval_start) / 60.0 / step_minutes) AS BIGINT))
            AS pieces
    FROM demand_volume(range_start, range_end)
    WHERE interval_end > interval_start
),
pieces AS (
    SELECT
        *,
        interval_start + to_seconds(CAST(round(i * row_minutes * 60 / pieces) AS BIGINT))
            AS piece_start,
        1.0 / pieces AS share
    FROM (SELECT *, unnest(range(0, pieces)) AS i FROM rows)
),
placed AS (
    SELECT
        *,
        piece_start - to_minutes(CAST(
            (hour(timezone(time_zone, piece_start)) * 60 + minute(timezone(time_zone, piece_start)))
            % step_minutes AS INTEGER)) AS cell_start
    FROM pieces
)
SELECT
    scope_key,
    cell_start AS interval_start,
    cell_start + to_minutes(step_minutes) AS interval_end,
    timezone(time_zone, cell_start) AS local_start,
    sum(share * coalesce(offered, 0)) AS offered,
    sum(share * coalesce(answered, 0)) AS answered,
    sum(share * coalesce(abandoned, 0)) AS abandoned,
    sum(share * coalesce(handle_seconds, 0)) AS handle_seconds,
    sum(share * coalesce(wait_answered_seconds, 0)) AS wait_answered_seconds,
    sum(share * coalesce(wait_abandoned_seconds, 0)) AS wait_abandoned_seconds,
    sum(share * row_minutes) AS volume_minutes
FROM placed
GROUP BY scope_key, cell_start;

-- How far Kore's volume is known, never beyond now: the end of the latest volume row, or the
-- watermark of the volume sync (contact_volume_syncs: the latest completed window's end), the
-- later of the two; before any, the_start. A cell that ended by then is COMPLETED: what came is
-- known, and a completed cell without a row of a scope had no contacts.
CREATE OR REPLACE TEMP MACRO demand_volume_end(now, the_start) AS
least(
    now,
    coalesce(
        greatest(
            (SELECT max(interval_end) FROM contact_volume WHERE interval_start < now),
            (SELECT max(to_ts) FROM contact_volume_syncs WHERE completed_at IS NOT NULL)
        ),
        the_start
    )
);
