-- Membership acquisition: one availability request per tick (scope 'all'), with agent ->
-- skill / queue membership from Kore's agents listing kept as history with validity ranges,
-- so coverage counts, for every skill and queue, the agents whose membership was valid at
-- each observation (sql/coverage/macros.sql, spans.sql). Existing ticks stay 'per_scope' and
-- their coverage is unchanged: a per-scope tick's rows are read exactly as before.

-- How a tick acquired its statuses: 'per_scope' (one request per scope; every tick written
-- before this migration) or 'membership' (one request for all agents; its single landing row
-- has scope_key 'all' and stands for every skill and queue with known membership).
ALTER TABLE ticks ADD COLUMN mode VARCHAR DEFAULT 'per_scope';
ALTER TABLE ticks ALTER COLUMN mode SET NOT NULL;

-- Where a scope row came from: 'file' (the scopes file; a tick makes these match the file)
-- or 'discovered' (a skill or queue seen in Kore's listing; a tick never deletes these).
ALTER TABLE scopes ADD COLUMN source VARCHAR DEFAULT 'file';
ALTER TABLE scopes ALTER COLUMN source SET NOT NULL;

-- Membership history: one row per (account, agent, scope) and stretch of time the agent was
-- listed in the skill or queue. Valid over [valid_from, valid_to); valid_to NULL = still
-- valid. Rows are opened and closed by pipelines/warehouse/membership.py at a refresh's time.
CREATE TABLE membership (
    account_id  VARCHAR NOT NULL,
    agent_id    VARCHAR NOT NULL,      -- the listing's id (a-...), = the availability _id
    user_id     VARCHAR,
    scope_key   VARCHAR NOT NULL,      -- 'skill:<skillId>' | 'queue:<queueId>'
    kind        VARCHAR NOT NULL,      -- 'skill' | 'queue'
    ref_id      VARCHAR NOT NULL,      -- the skill or queue ID
    name        VARCHAR,               -- the skill or queue name as last listed
    valid_from  TIMESTAMPTZ NOT NULL,  -- inclusive: the refresh that first listed it
    valid_to    TIMESTAMPTZ            -- exclusive: the refresh that no longer listed it
);

-- One row per membership refresh (all pages of the agents listing, possibly over several
-- ticks). Applied to `membership` only once complete.
CREATE TABLE membership_refreshes (
    refresh_id    VARCHAR PRIMARY KEY,
    account_id    VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    completed_at  TIMESTAMPTZ,           -- NULL while pages are missing
    total_pages   INTEGER,               -- as the listing reports it (NULL: no page yet)
    pages         INTEGER NOT NULL,      -- pages staged so far
    agents        INTEGER NOT NULL,      -- agents listed (when complete)
    rows_opened   INTEGER NOT NULL,      -- membership rows opened by applying it
    rows_closed   INTEGER NOT NULL,      -- membership rows closed by applying it
    complete      BOOLEAN NOT NULL
);

-- Staging: the pages of a refresh fetched so far, so a refresh spread over ticks (or cut
-- short by a crash) resumes where it stopped. Parsed rows only: the raw page carries e-mail
-- addresses the PII policy would not let us keep.
CREATE TABLE membership_pages (
    refresh_id   VARCHAR NOT NULL,
    page         INTEGER NOT NULL,
    fetched_at   TIMESTAMPTZ NOT NULL,
    agent_ids    VARCHAR[] NOT NULL,     -- every agent on the page, with or without membership
    PRIMARY KEY (refresh_id, page)
);

CREATE TABLE membership_page_rows (
    refresh_id  VARCHAR NOT NULL,
    page        INTEGER NOT NULL,
    agent_id    VARCHAR NOT NULL,
    user_id     VARCHAR,
    scope_key   VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    ref_id      VARCHAR NOT NULL,
    name        VARCHAR
);

-- Drift checks: one scope asked directly with its filter, compared with the member list
-- derived locally from `membership` at the same time.
CREATE TABLE membership_drift (
    checked_at         TIMESTAMPTZ NOT NULL,
    account_id         VARCHAR NOT NULL,
    scope_key          VARCHAR NOT NULL,
    missing_agent_ids  VARCHAR[] NOT NULL,  -- in Kore's filtered answer, not in local membership
    extra_agent_ids    VARCHAR[] NOT NULL,  -- in local membership, not in Kore's answer
    agents_asked       INTEGER NOT NULL,    -- agents in Kore's filtered answer
    agents_known       INTEGER NOT NULL     -- agents in local membership at checked_at
);
