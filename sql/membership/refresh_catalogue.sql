-- The skills and queues a refresh's staged pages list (with a name each): the discovery.
-- Parameters: $refresh_id (VARCHAR).
SELECT scope_key, any_value(kind) AS kind, any_value(ref_id) AS ref_id, max(name) AS name
FROM membership_page_rows
WHERE refresh_id = $refresh_id
GROUP BY scope_key
ORDER BY scope_key
