-- Finalize one day of agent_status_spans from Kore's exact status history, in the same
-- transaction as, and right after, spans.sql (pipelines/coverage/build.py).
-- Parameters: $day (DATE), $day_start / $day_end (TIMESTAMPTZ, the day's UTC bounds),
-- $nonproductive_busy (VARCHAR[]: lower case custom BUSY status names that are not on queue),
-- $now (TIMESTAMPTZ: when the basis was decided). Needs the macros of macros.sql.
--
-- For every scope the day is finalized for (coverage_finalized_scopes: the day's history is
-- complete and the scope's members are known), the poll-based spans spans.sql just wrote
-- move to coverage_polled_spans (the grid says what the polls alone saw) and the exact spans
-- (coverage_history_spans) take their place, basis 'finalized', observations 0, with the
-- custom status name. Every other scope keeps its poll-based spans, basis 'provisional'.
-- coverage_bases records the basis of every scope of the day.

DELETE FROM coverage_polled_spans WHERE day = $day;

DELETE FROM coverage_bases WHERE day = $day;

INSERT INTO coverage_bases (day, scope_key, basis, decided_at)
SELECT
    $day,
    s.scope_key,
    CASE WHEN f.scope_key IS NULL THEN 'provisional' ELSE 'finalized' END,
    $now
FROM scopes AS s
LEFT JOIN coverage_finalized_scopes($day) AS f
  ON f.scope_key = s.scope_key;

INSERT INTO coverage_polled_spans
    (day, scope_key, agent_id, status, busy_productive, span_start, span_end)
SELECT day, scope_key, agent_id, status, busy_productive, span_start, span_end
FROM agent_status_spans
WHERE day = $day
  AND scope_key IN (SELECT scope_key FROM coverage_bases WHERE day = $day AND basis = 'finalized');

DELETE FROM agent_status_spans
WHERE day = $day
  AND scope_key IN (SELECT scope_key FROM coverage_bases WHERE day = $day AND basis = 'finalized');

INSERT INTO agent_status_spans
    (day, scope_key, agent_id, user_id, status, busy_productive, span_start, span_end,
     observations, basis, secondary_status)
SELECT
    $day,
    scope_key,
    agent_id,
    user_id,
    status,
    busy_productive,
    span_start,
    span_end,
    0,
    'finalized',
    secondary_status
FROM coverage_history_spans($day, $day_start, $day_end, $nonproductive_busy)
WHERE span_end > span_start;
