-- Record a page that could not be landed (registered as history_page_log); the fetch stays
-- where it was, so the next run asks the same offset again.
-- Parameters: none.
INSERT INTO status_history_pages BY NAME SELECT * FROM history_page_log;
