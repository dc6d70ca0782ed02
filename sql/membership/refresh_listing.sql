-- A complete refresh's staged rows as the listing apply.sql reads (membership_listing).
-- Parameters: $refresh_id (VARCHAR).
CREATE OR REPLACE TEMP TABLE membership_listing AS
SELECT agent_id, user_id, scope_key, kind, ref_id, name
FROM membership_page_rows
WHERE refresh_id = $refresh_id;
