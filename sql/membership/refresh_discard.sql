-- Drop an unfinished refresh and its staged pages (e.g. too old to resume). Parameters:
-- $refresh_id (VARCHAR).
DELETE FROM membership_page_rows WHERE refresh_id = $refresh_id;

DELETE FROM membership_pages WHERE refresh_id = $refresh_id;

DELETE FROM membership_refreshes WHERE refresh_id = $refresh_id AND NOT complete;
