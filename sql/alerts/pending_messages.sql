-- Messages still to send, oldest first (an alert goes before its recovery). No parameters.
SELECT message_id, episode_id, event, destination, fingerprint, body, created_at, attempts,
       next_attempt_at
FROM alert_messages
WHERE status = 'pending'
ORDER BY created_at, message_id;
