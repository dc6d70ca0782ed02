-- Scopes of one tick that did not answer with usable data.
SELECT scope_key, error_kind, http_status, attempts
FROM raw_responses
WHERE tick_id = $tick_id AND outcome <> 'ok'
ORDER BY scope_key;
