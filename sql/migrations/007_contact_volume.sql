-- Contact volume from Kore.ai's callvolume endpoint (API scope "WFM Integration"): demand per
-- queue (and per skill) and 15-minute interval, fetched incrementally and resumably.
--
-- contact_volume: one row per account, queue, skill ('' = the queue-level row) and interval.
-- Times are TOTALS per interval in SECONDS whatever unit Kore sent; time_unit records the unit
-- the source used and unit_basis whether it was 'detected' from the data or came from a
-- 'setting' (pipelines/kore/callvolume_units.py). A restated interval replaces its row.
--
-- contact_volume_syncs: one row per sync window [from_ts, to_ts) of an account. The pages of a
-- window are asked with skip/limit; each page's rows, the page itself and the progress below
-- are written in ONE transaction, so a crash mid-way resumes at skip_reached with no
-- duplicate rows (keys replace) and no gap (to_ts stays fixed until completed_at is set).
-- The watermark is the largest to_ts of a completed sync.
--
-- contact_volume_pages: every page asked, raw body kept (fields the parser does not know
-- survive here), with its outcome. A table of its own rather than raw_responses: that table
-- is the availability tick's landing table (keyed by tick and scope, its bodies read as status
-- buckets by the snapshot SQL, its failures read by the tick checks), so callvolume pages in it
-- would be misread by every one of those readers.
CREATE TABLE contact_volume (
    account_id VARCHAR NOT NULL,
    queue_id VARCHAR NOT NULL,
    skill_id VARCHAR NOT NULL,
    interval_start TIMESTAMPTZ NOT NULL,
    interval_end TIMESTAMPTZ NOT NULL,
    queue_name VARCHAR,
    skill_name VARCHAR,
    offered INTEGER,
    answered INTEGER,
    abandoned INTEGER,
    completed INTEGER,
    handle_seconds DOUBLE,
    talk_seconds DOUBLE,
    acw_seconds DOUBLE,
    hold_seconds DOUBLE,
    wait_answered_seconds DOUBLE,
    wait_abandoned_seconds DOUBLE,
    max_wait_answered_seconds DOUBLE,
    max_wait_abandoned_seconds DOUBLE,
    time_unit VARCHAR NOT NULL,
    unit_basis VARCHAR NOT NULL,
    source VARCHAR,
    fetched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, queue_id, skill_id, interval_start)
);

CREATE TABLE contact_volume_syncs (
    sync_id         VARCHAR PRIMARY KEY,
    account_id      VARCHAR NOT NULL,
    first_sync      BOOLEAN NOT NULL,      -- no earlier completed sync: goes back N days
    from_ts         TIMESTAMPTZ,           -- fromTimeStamp sent (NULL: omitted)
    to_ts           TIMESTAMPTZ NOT NULL,  -- toTimeStamp: an interval boundary, fixed
    page_size       INTEGER NOT NULL,      -- limit
    skill_breakdown BOOLEAN NOT NULL,      -- includeSkillBreakdown
    pages_done      INTEGER NOT NULL,
    skip_reached    INTEGER NOT NULL,      -- the next page's skip
    total_count     INTEGER,               -- Kore's totalCount, last page read
    rows_written    INTEGER NOT NULL,
    restated_rows   INTEGER NOT NULL,      -- rows that replaced a stored row with other figures
    started_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    completed_at    TIMESTAMPTZ            -- NULL: pages still to fetch (resumed next run)
);

CREATE TABLE contact_volume_pages (
    sync_id       VARCHAR NOT NULL,
    account_id    VARCHAR NOT NULL,
    run_id        VARCHAR,
    skip          INTEGER NOT NULL,
    page_size     INTEGER NOT NULL,
    requested_at  TIMESTAMPTZ NOT NULL,
    answered_at   TIMESTAMPTZ,
    attempts      INTEGER NOT NULL,
    http_status   INTEGER,
    latency_ms    DOUBLE,
    outcome       VARCHAR NOT NULL,        -- 'ok' or 'error'
    error_kind    VARCHAR,
    error_text    VARCHAR,
    has_more      BOOLEAN,
    total_count   INTEGER,
    updates       INTEGER,                 -- CallVolumeUpdate items
    rows_written  INTEGER,                 -- queue and skill rows
    body          VARCHAR                  -- the answer as received (ok), cut to 4 KiB (error)
);
