-- Stage one fetched page of a refresh (replacing an earlier fetch of the same page): the
-- agents on it and their membership rows (registered as membership_page_listing: agent_id,
-- user_id, scope_key, kind, ref_id, name). Parameters: $refresh_id (VARCHAR), $page
-- (INTEGER), $fetched_at (TIMESTAMPTZ), $agent_ids (VARCHAR[]), $total_pages (INTEGER or
-- NULL: keep the refresh's).
DELETE FROM membership_page_rows WHERE refresh_id = $refresh_id AND page = $page;

DELETE FROM membership_pages WHERE refresh_id = $refresh_id AND page = $page;

INSERT INTO membership_pages (refresh_id, page, fetched_at, agent_ids)
VALUES ($refresh_id, $page, $fetched_at, $agent_ids::VARCHAR[]);

INSERT INTO membership_page_rows
    (refresh_id, page, agent_id, user_id, scope_key, kind, ref_id, name)
SELECT $refresh_id, $page, agent_id, user_id, scope_key, kind, ref_id, name
FROM membership_page_listing;

UPDATE membership_refreshes
SET pages = (SELECT count(*) FROM membership_pages WHERE refresh_id = $refresh_id),
    total_pages = coalesce($total_pages::INTEGER, total_pages)
WHERE refresh_id = $refresh_id;
