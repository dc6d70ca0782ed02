-- Which raw rows retention may take, written down once: every other file of sql/retention
-- selects, copies and deletes through these TEMP macros, so the survey, the Parquet file and
-- the DELETE can never disagree about a row. Created on the connection before each use.
--
-- Each macro gives the raw rows of one table whose local day (in time_zone) lies in
-- [from_ts, to_ts) (UTC instants of local midnights), with three columns in front:
--   retention_rowid    the row's rowid (the DELETE's key; valid inside one transaction)
--   retention_day      the row's local day
--   retention_built    whether what is derived from the row is built, so dropping the body
--                      loses nothing the product needs:
--     raw_responses         coverage of that local day exists (coverage_intervals has the day);
--                           snapshots were derived from the body when the tick landed
--     status_history_pages  a completed fetch of the same account and day exists (its spans
--                           are in agent_status_history); pages of a day still paging stay
--     contact_volume_pages  the page's sync window is completed (its rows are in contact_volume)
-- Rows not yet built are kept however old they are, and the check names them.

-- raw_responses: the day of requested_at (when the tick asked).
CREATE OR REPLACE TEMP MACRO retention_raw_responses(time_zone, from_ts, to_ts) AS TABLE
SELECT
    r.rowid AS retention_rowid,
    CAST(timezone(time_zone, r.requested_at) AS DATE) AS retention_day,
    EXISTS (
        SELECT 1 FROM coverage_intervals AS c
        WHERE c.day = CAST(timezone(time_zone, r.requested_at) AS DATE)
    ) AS retention_built,
    r.*
FROM raw_responses AS r
WHERE r.requested_at >= from_ts AND r.requested_at < to_ts;

-- status_history_pages: the local day the page belongs to (its day column).
CREATE OR REPLACE TEMP MACRO retention_status_history_pages(time_zone, from_ts, to_ts) AS TABLE
SELECT
    p.rowid AS retention_rowid,
    p.day AS retention_day,
    EXISTS (
        SELECT 1 FROM status_history_fetches AS f
        WHERE f.account_id = p.account_id AND f.day = p.day AND f.completed_at IS NOT NULL
    ) AS retention_built,
    p.*
FROM status_history_pages AS p
WHERE p.day >= CAST(timezone(time_zone, from_ts) AS DATE)
  AND p.day < CAST(timezone(time_zone, to_ts) AS DATE);

-- contact_volume_pages: the day of requested_at (when the page was asked).
CREATE OR REPLACE TEMP MACRO retention_contact_volume_pages(time_zone, from_ts, to_ts) AS TABLE
SELECT
    p.rowid AS retention_rowid,
    CAST(timezone(time_zone, p.requested_at) AS DATE) AS retention_day,
    EXISTS (
        SELECT 1 FROM contact_volume_syncs AS s
        WHERE s.sync_id = p.sync_id AND s.completed_at IS NOT NULL
    ) AS retention_built,
    p.*
FROM contact_volume_pages AS p
WHERE p.requested_at >= from_ts AND p.requested_at < to_ts;
