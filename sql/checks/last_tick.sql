-- The most recent polled tick (synthetic history excluded).
SELECT tick_id, started_at, ended_at, scopes_asked, scopes_ok, scopes_failed, scopes_deferred,
       mode, requests
FROM ticks
WHERE source = 'poll'
ORDER BY ended_at DESC
LIMIT 1;
