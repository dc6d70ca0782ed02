-- The raw rows older than the retention cutoff, per table and local day: how many may go now
-- (what is derived from them is built) and how many are held back (not built yet).
-- Parameters: $time_zone (VARCHAR, AVAILABILITY_TIME_ZONE), $since (TIMESTAMPTZ, the earliest
-- instant to look at; the epoch), $cutoff_start (TIMESTAMPTZ, local midnight starting the
-- oldest day that is KEPT: rows of earlier local days are past their age).
-- Needs sql/retention/macros.sql on the connection.
SELECT table_name, day, count(*) FILTER (WHERE built) AS rows_due,
       count(*) FILTER (WHERE NOT built) AS rows_held
FROM (
    SELECT 'raw_responses' AS table_name, retention_day AS day, retention_built AS built
    FROM retention_raw_responses($time_zone, $since, $cutoff_start)
    UNION ALL
    SELECT 'status_history_pages', retention_day, retention_built
    FROM retention_status_history_pages($time_zone, $since, $cutoff_start)
    UNION ALL
    SELECT 'contact_volume_pages', retention_day, retention_built
    FROM retention_contact_volume_pages($time_zone, $since, $cutoff_start)
)
GROUP BY ALL
ORDER BY day, table_name;
