-- Exact status history from Kore.ai's Agent Status Details v3 (API scope "SmartAssist
-- Analytics"): every agent's status spans of a CLOSED local day (AVAILABILITY_TIME_ZONE),
-- fetched 50 agents a page at the request planner's lowest priority, resumably.
--
-- status_history_fetches: one row per fetch of an account's local day, the sync state. What
-- was asked (dates, timeZoneOffSet as Kore wants it: minutes WEST of UTC, so -330 = India,
-- 300 = New York; the date field used) and the UTC window the answer is assumed to cover are
-- fixed when the fetch opens; offset_reached (the next page's offset) advances with each page
-- in the page's own transaction, so a crash resumes there. completed_at is set only by a page
-- that said hasMore = false, in the transaction that moves the day's staged spans into
-- agent_status_history (replacing the day's earlier rows whole).
--
-- status_history_pages: every page asked, its raw body (e-mail per AVAILABILITY_PII) and the
-- assumptions it was read under (JSON: offset sign, the zone timestamps without one were read
-- in, endDate inclusive, iId as a header, ...), with its outcome.
--
-- status_history_staging: spans of a fetch still paging; moved out when it completes.
--
-- agent_status_history: the exact spans of complete days, clipped to the local day. bucket is
-- primaryStatus mapped to AVAILABLE / BUSY / AWAY / OFFLINE; secondary_status the custom name
-- (Break, Training, ...). duration_stated_s is Kore's "HH:MM:SS" for the span as sent (before
-- clipping); duration_disagrees marks a span whose stated duration differs from its
-- endTime - startTime by more than STATED_DURATION_TOLERANCE_S (pipelines/kore/statusdetails.py).
CREATE TABLE status_history_fetches (
    fetch_id        VARCHAR PRIMARY KEY,
    account_id      VARCHAR NOT NULL,
    day             DATE NOT NULL,          -- the local day (AVAILABILITY_TIME_ZONE)
    time_zone       VARCHAR NOT NULL,       -- the zone the day is local to
    start_date      DATE NOT NULL,          -- dateFilter.startDate (or .date) sent
    end_date        DATE NOT NULL,          -- dateFilter.endDate sent (= start_date for .date)
    tz_offset       INTEGER NOT NULL,       -- dateFilter.timeZoneOffSet sent (minutes west)
    date_field      VARCHAR NOT NULL,       -- 'range' (startDate/endDate) or 'date'
    window_start    TIMESTAMPTZ NOT NULL,   -- what the answer is assumed to cover, UTC
    window_end      TIMESTAMPTZ NOT NULL,
    day_start       TIMESTAMPTZ NOT NULL,   -- the true local day, UTC
    day_end         TIMESTAMPTZ NOT NULL,
    covers_day      BOOLEAN NOT NULL,       -- window contains [day_start, day_end)
    page_size       INTEGER NOT NULL,
    pages_done      INTEGER NOT NULL,
    offset_reached  INTEGER NOT NULL,       -- the next page's offset
    agents          INTEGER NOT NULL,       -- data[] items read so far
    spans           INTEGER NOT NULL,       -- spans staged so far (clipped to the day)
    disagreements   INTEGER NOT NULL,       -- spans whose stated duration disagrees
    started_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    completed_at    TIMESTAMPTZ             -- NULL: pages still to fetch (resumed next run)
);

CREATE TABLE status_history_pages (
    fetch_id      VARCHAR NOT NULL,
    account_id    VARCHAR NOT NULL,
    day           DATE NOT NULL,
    run_id        VARCHAR,
    page_offset   INTEGER NOT NULL,         -- the offset query parameter sent
    page_size     INTEGER NOT NULL,         -- the limit sent
    tz_offset     INTEGER NOT NULL,
    requested_at  TIMESTAMPTZ NOT NULL,
    fetched_at    TIMESTAMPTZ,
    attempts      INTEGER NOT NULL,
    http_status   INTEGER,
    outcome       VARCHAR NOT NULL,         -- 'ok' or 'error'
    error_kind    VARCHAR,
    error_text    VARCHAR,
    has_more      BOOLEAN,
    agents        INTEGER,                  -- data[] items
    spans         INTEGER,                  -- spans kept (clipped to the day)
    assumptions   VARCHAR,                  -- JSON
    body          VARCHAR                   -- the answer (ok), cut to 4 KiB (error)
);

CREATE TABLE status_history_staging (
    fetch_id           VARCHAR NOT NULL,
    account_id         VARCHAR NOT NULL,
    day                DATE NOT NULL,
    agent_id           VARCHAR NOT NULL,
    user_id            VARCHAR,
    email              VARCHAR,
    bucket             VARCHAR NOT NULL,
    secondary_status   VARCHAR,
    span_start         TIMESTAMPTZ NOT NULL,
    span_end           TIMESTAMPTZ NOT NULL,
    duration_stated_s  DOUBLE,
    duration_disagrees BOOLEAN NOT NULL,
    source             VARCHAR NOT NULL,
    fetched_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE agent_status_history (
    account_id         VARCHAR NOT NULL,
    day                DATE NOT NULL,
    agent_id           VARCHAR NOT NULL,    -- aId
    user_id            VARCHAR,
    email              VARCHAR,             -- per AVAILABILITY_PII (hashed by default)
    bucket             VARCHAR NOT NULL,    -- AVAILABLE | BUSY | AWAY | OFFLINE
    secondary_status   VARCHAR,
    span_start         TIMESTAMPTZ NOT NULL,
    span_end           TIMESTAMPTZ NOT NULL,
    duration_stated_s  DOUBLE,
    duration_disagrees BOOLEAN NOT NULL,
    source             VARCHAR NOT NULL,    -- 'status_details_v3'
    fetched_at         TIMESTAMPTZ NOT NULL
);
-- No key on purpose: a page that repeats a span must not make the day unfinishable; the asset
-- check spans_never_overlap reports it instead.
