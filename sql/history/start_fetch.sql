-- Open a fetch of one local day; an unfinished fetch of the same account and day is dropped
-- first, with its staged spans (its pages stay in status_history_pages for the record).
-- Parameters: $fetch_id, $account_id, $time_zone, $date_field (VARCHAR), $day, $start_date,
-- $end_date (DATE), $tz_offset, $page_size (INTEGER), $window_start, $window_end, $day_start,
-- $day_end, $now (TIMESTAMPTZ), $covers_day (BOOLEAN).
DELETE FROM status_history_staging WHERE fetch_id IN (
    SELECT fetch_id FROM status_history_fetches
    WHERE account_id = $account_id AND day = $day AND completed_at IS NULL
);
DELETE FROM status_history_fetches
WHERE account_id = $account_id AND day = $day AND completed_at IS NULL;
INSERT INTO status_history_fetches VALUES (
    $fetch_id, $account_id, $day, $time_zone, $start_date, $end_date, $tz_offset, $date_field,
    $window_start, $window_end, $day_start, $day_end, $covers_day, $page_size,
    0, 0, 0, 0, 0, $now, $now, NULL
);
