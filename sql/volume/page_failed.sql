-- Record a page that could not be landed (registered as volume_page_log); the sync stays
-- where it was, so the next run asks the same skip again.
-- Parameters: none.
INSERT INTO contact_volume_pages BY NAME SELECT * FROM volume_page_log;
