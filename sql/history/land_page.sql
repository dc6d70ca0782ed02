-- Land one page in one transaction: its spans (registered as history_spans) are staged, the
-- page is recorded (registered as history_page_log) and the fetch advances to $offset_reached.
-- When $done (the page said hasMore = false) the day's rows in agent_status_history are
-- replaced whole by the fetch's staged spans and the fetch is marked complete.
-- Parameters: $fetch_id, $account_id (VARCHAR), $day (DATE), $offset_reached, $agents,
-- $spans, $disagreements (INTEGER), $now (TIMESTAMPTZ), $done (BOOLEAN).
INSERT INTO status_history_staging BY NAME SELECT * FROM history_spans;
INSERT INTO status_history_pages BY NAME SELECT * FROM history_page_log;
UPDATE status_history_fetches
SET pages_done = pages_done + 1,
    offset_reached = $offset_reached,
    agents = agents + $agents,
    spans = spans + $spans,
    disagreements = disagreements + $disagreements,
    updated_at = $now,
    completed_at = CASE WHEN $done THEN $now END
WHERE fetch_id = $fetch_id;
DELETE FROM agent_status_history WHERE account_id = $account_id AND day = $day AND $done;
INSERT INTO agent_status_history
SELECT account_id, day, agent_id, user_id, email, bucket, secondary_status, span_start,
       span_end, duration_stated_s, duration_disagrees, source, fetched_at
FROM status_history_staging
WHERE fetch_id = $fetch_id AND $done
ORDER BY agent_id, span_start;
DELETE FROM status_history_staging WHERE fetch_id = $fetch_id AND $done;
