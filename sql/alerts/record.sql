-- One evaluation's changes, in one transaction (pipelines/alerts/store.py), from registered
-- frames: alert_opened (new episodes, every alert_episodes column), alert_closed (episode_id,
-- ended_at, worst_net_staffing, end_on_queue, end_required, end_net_staffing), alert_queued
-- (new messages, every alert_messages column), alert_tried (attempts, every alert_attempts
-- column) and alert_sent (message_id, status, attempts, next_attempt_at, finished_at,
-- last_error). No parameters; an empty frame changes nothing.
INSERT INTO alert_episodes BY NAME SELECT * FROM alert_opened;

UPDATE alert_episodes AS e
SET ended_at = c.ended_at,
    worst_net_staffing = c.worst_net_staffing,
    end_on_queue = c.end_on_queue,
    end_required = c.end_required,
    end_net_staffing = c.end_net_staffing
FROM alert_closed AS c
WHERE e.episode_id = c.episode_id;

INSERT INTO alert_messages BY NAME SELECT * FROM alert_queued;

INSERT INTO alert_attempts BY NAME SELECT * FROM alert_tried;

UPDATE alert_messages AS m
SET status = s.status,
    attempts = s.attempts,
    next_attempt_at = s.next_attempt_at,
    finished_at = s.finished_at,
    last_error = s.last_error
FROM alert_sent AS s
WHERE m.message_id = s.message_id;
