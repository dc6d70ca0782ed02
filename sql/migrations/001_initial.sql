-- Landing and normalized tables for availability polls.
-- Timestamps are TIMESTAMPTZ and every connection runs with TimeZone = 'UTC'.

-- One row per configured scope; refreshed from the scopes file on every tick.
CREATE TABLE scopes (
    scope_key   VARCHAR PRIMARY KEY,   -- 'all', 'skill:<id>', 'queue:<id>', 'agents:<id>'
    kind        VARCHAR NOT NULL,      -- all | skill | queue | agents
    ref_id      VARCHAR NOT NULL,      -- Kore skill / queue ID ('' for all)
    name        VARCHAR NOT NULL,
    agent_ids   VARCHAR[],             -- only for kind = 'agents'
    updated_at  TIMESTAMPTZ NOT NULL
);

-- One row per tick (one poll of some or all scopes).
CREATE TABLE ticks (
    tick_id        VARCHAR PRIMARY KEY,  -- deterministic per schedule slot or per root run
    account_id     VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,     -- 'poll' or 'synthetic'
    run_id         VARCHAR,
    started_at     TIMESTAMPTZ NOT NULL,
    ended_at       TIMESTAMPTZ NOT NULL,
    scopes_asked   INTEGER NOT NULL,
    scopes_ok      INTEGER NOT NULL,
    scopes_failed  INTEGER NOT NULL,
    scopes_deferred INTEGER NOT NULL,    -- configured scopes left for a later tick (rate budget)
    written_at     TIMESTAMPTZ NOT NULL
);

-- Raw landing: one row per scope request, as answered (body kept verbatim).
CREATE TABLE raw_responses (
    tick_id       VARCHAR NOT NULL,
    scope_key     VARCHAR NOT NULL,
    account_id    VARCHAR NOT NULL,
    requested_at  TIMESTAMPTZ NOT NULL,  -- first attempt sent
    answered_at   TIMESTAMPTZ,           -- last answer received (NULL: none)
    observed_at   TIMESTAMPTZ,           -- when the statuses in body held (success only)
    attempts      INTEGER NOT NULL,
    http_status   INTEGER,
    latency_ms    DOUBLE,
    outcome       VARCHAR NOT NULL,      -- 'ok' or 'error'
    error_kind    VARCHAR,
    error_text    VARCHAR,
    body          VARCHAR,               -- raw response text (JSON on success)
    PRIMARY KEY (tick_id, scope_key)
);

-- Every request attempt's send time, for the account's shared rate budget.
CREATE TABLE request_log (
    account_id    VARCHAR NOT NULL,
    tick_id       VARCHAR NOT NULL,
    scope_key     VARCHAR NOT NULL,
    sent_at       TIMESTAMPTZ NOT NULL
);

-- Normalized: one row per (tick, scope, agent). No key index: ticks are replaced whole,
-- and a check asserts uniqueness.
CREATE TABLE snapshots (
    tick_id      VARCHAR NOT NULL,
    scope_key    VARCHAR NOT NULL,
    observed_at  TIMESTAMPTZ NOT NULL,
    agent_id     VARCHAR NOT NULL,
    user_id      VARCHAR,
    status       VARCHAR NOT NULL        -- bucket key as received: AVAILABLE, BUSY, AWAY, OFFLINE, ...
);

-- Latest known attributes per agent; unknown fields kept in `attributes`.
CREATE TABLE agents (
    agent_id            VARCHAR PRIMARY KEY,
    user_id             VARCHAR,
    first_name          VARCHAR,
    last_name           VARCHAR,
    email               VARCHAR,
    phone               VARCHAR,
    custom_id           VARCHAR,
    is_digital_enabled  BOOLEAN,
    attributes          JSON,            -- the agent object as last received
    first_seen_at       TIMESTAMPTZ NOT NULL,
    last_seen_at        TIMESTAMPTZ NOT NULL
);

-- Channel capacity per (tick, agent, channel), when the response carries it.
CREATE TABLE channel_capacity (
    tick_id             VARCHAR NOT NULL,
    observed_at         TIMESTAMPTZ NOT NULL,
    agent_id            VARCHAR NOT NULL,
    channel             VARCHAR NOT NULL,
    is_enabled          BOOLEAN,
    total_capacity      INTEGER,
    used_capacity       INTEGER,
    available_capacity  INTEGER
);
