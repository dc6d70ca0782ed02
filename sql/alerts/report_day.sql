-- The report's alerts section: the episodes that opened on local day $day (DATE), with their
-- messages and attempts, one row per attempt (or per message not tried yet, or per episode
-- without a message), in time order.
SELECT
    e.episode_id,
    e.scope_key,
    e.scope_name,
    e.short_since,
    e.alerted_at,
    e.ended_at,
    e.threshold,
    e.short_in,
    e.on_queue,
    e.required,
    e.net_staffing,
    e.next_required,
    e.next_net_staffing,
    e.worst_net_staffing,
    m.event,
    m.destination,
    m.fingerprint,
    m.status,
    a.attempt,
    a.started_at AS attempt_at,
    a.outcome,
    a.http_status,
    a.error_text
FROM alert_episodes AS e
LEFT JOIN alert_messages AS m
  ON m.episode_id = e.episode_id
LEFT JOIN alert_attempts AS a
  ON a.message_id = m.message_id
WHERE e.day = $day
ORDER BY e.alerted_at, e.scope_key, m.created_at, m.event, m.destination, a.attempt;
