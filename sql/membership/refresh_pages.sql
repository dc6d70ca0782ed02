-- The pages of a refresh staged so far. Parameters: $refresh_id (VARCHAR).
SELECT page FROM membership_pages WHERE refresh_id = $refresh_id ORDER BY page
