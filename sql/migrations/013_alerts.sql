-- Shortfall alerts (pipelines/alerts): episodes, the outbox of messages to webhooks, and every
-- delivery attempt. A webhook URL is a secret and is never stored: a destination is named by
-- its kind ('slack', 'teams', 'json') and a fingerprint (the first 16 hex digits of the URL's
-- SHA-256), so a changed URL shows as a new fingerprint without revealing either.
--
-- alert_episodes: one row per scope and episode. It opens when the scope has been short at
-- min_polls consecutive polls (outside quiet hours) and ends (ended_at) after recovery_polls
-- consecutive polls that are not short. The figures at opening are kept; worst_net_staffing
-- and the recovery figures are written when it ends. day is the local day
-- (AVAILABILITY_TIME_ZONE) the episode opened in: the report lists a day's episodes by it.
CREATE TABLE alert_episodes (
    episode_id            VARCHAR PRIMARY KEY,   -- '<scope_key>@<alerted_at ISO>'
    day                   DATE NOT NULL,
    scope_key             VARCHAR NOT NULL,
    scope_name            VARCHAR NOT NULL,
    short_since           TIMESTAMPTZ NOT NULL,  -- the first short poll of the streak
    alerted_at            TIMESTAMPTZ NOT NULL,  -- the poll that opened the episode
    ended_at              TIMESTAMPTZ,           -- the poll that ended it; NULL while open
    threshold             VARCHAR NOT NULL,      -- '1 agent', '10% of required'
    short_in              VARCHAR NOT NULL,      -- 'current', 'next' or 'current and next'
    interval_start        TIMESTAMPTZ NOT NULL,  -- the current interval at opening
    on_queue              DOUBLE NOT NULL,       -- on-queue agents at the opening poll
    required              DOUBLE,                -- the current interval's requirement
    net_staffing          DOUBLE,                -- on_queue - required
    next_required         DOUBLE,                -- the next interval's requirement
    next_net_staffing     DOUBLE,                -- on_queue - next_required
    worst_net_staffing    DOUBLE,                -- the lowest net staffing while open
    end_on_queue          DOUBLE,
    end_required          DOUBLE,
    end_net_staffing      DOUBLE
);

-- The outbox: one message per episode, event and destination, with the exact body sent.
-- status: 'pending' (to send; next_attempt_at says when), 'delivered', 'failed' (a permanent
-- refusal, or max attempts spent), 'dropped' (the destination is no longer configured).
CREATE TABLE alert_messages (
    message_id        VARCHAR PRIMARY KEY,   -- '<episode_id>/<event>/<destination>'
    episode_id        VARCHAR NOT NULL,
    event             VARCHAR NOT NULL,      -- 'alert' | 'recovery'
    destination       VARCHAR NOT NULL,      -- 'slack' | 'teams' | 'json'
    fingerprint       VARCHAR NOT NULL,      -- of the URL the message was queued for
    body              VARCHAR NOT NULL,      -- the JSON body (never the URL)
    created_at        TIMESTAMPTZ NOT NULL,
    status            VARCHAR NOT NULL,
    attempts          INTEGER NOT NULL,
    next_attempt_at   TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    last_error        VARCHAR
);

-- Every delivery attempt. outcome: 'delivered' (2xx), 'refused' (a 4xx other than 408/429,
-- or a redirect, which is never followed: permanent), 'http_error' (408, 429, 5xx: retried),
-- 'timeout', 'connection' (retried).
CREATE TABLE alert_attempts (
    message_id        VARCHAR NOT NULL,
    destination       VARCHAR NOT NULL,
    fingerprint       VARCHAR NOT NULL,
    attempt           INTEGER NOT NULL,      -- 1 for the first try of the message
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ NOT NULL,
    outcome           VARCHAR NOT NULL,
    http_status       INTEGER,
    error_text        VARCHAR,               -- what went wrong, the URL never in it
    retry_at          TIMESTAMPTZ            -- when it is tried again (NULL: not again)
);
