-- Mark a refresh complete after apply.sql and drop its staged pages. Parameters:
-- $refresh_id (VARCHAR), $completed_at (TIMESTAMPTZ), $rows_opened, $rows_closed (INTEGER).
UPDATE membership_refreshes
SET completed_at = $completed_at,
    complete = true,
    agents = (
        SELECT count(DISTINCT agent_id)
        FROM (SELECT unnest(agent_ids) AS agent_id
              FROM membership_pages WHERE refresh_id = $refresh_id)
    ),
    rows_opened = $rows_opened,
    rows_closed = $rows_closed
WHERE refresh_id = $refresh_id;

DELETE FROM membership_page_rows WHERE refresh_id = $refresh_id;

DELETE FROM membership_pages WHERE refresh_id = $refresh_id;

DROP TABLE IF EXISTS membership_listing;

DROP TABLE IF EXISTS membership_plan;
