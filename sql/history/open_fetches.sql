-- The account's unfinished fetches (pages still to ask), oldest day first.
-- Parameters: $account_id (VARCHAR).
SELECT fetch_id, day, time_zone, date_field, start_date, end_date, tz_offset, window_start,
       window_end, day_start, day_end, page_size, pages_done, offset_reached
FROM status_history_fetches
WHERE account_id = $account_id AND completed_at IS NULL
ORDER BY day, started_at;
