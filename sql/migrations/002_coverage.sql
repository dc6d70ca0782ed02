-- Coverage: agent status spans, the interval grid per scope, staffing requirements and
-- coverage against them. Every table is partitioned by `day` (one LOCAL calendar day in the
-- configured time zone) and each partition is replaced whole in one transaction by
-- pipelines/coverage/build.py. No key indexes on the big tables: rebuilds delete and re-insert
-- a day in bulk, and the checks in pipelines/coverage/checks.py assert uniqueness instead.
-- Definitions of every figure: the docstring of pipelines/coverage/__init__.py.

-- One row per stretch of time an agent held one status in one scope, clipped to the day's
-- UTC bounds [local midnight, next local midnight). Stretches in one scope never overlap.
CREATE TABLE agent_status_spans (
    day           DATE NOT NULL,
    scope_key     VARCHAR NOT NULL,
    agent_id      VARCHAR NOT NULL,
    user_id       VARCHAR,               -- as listed (the largest seen for the agent in the scope)
    status        VARCHAR NOT NULL,      -- bucket key as received (AVAILABLE, BUSY, AWAY, OFFLINE, ...)
    span_start    TIMESTAMPTZ NOT NULL,  -- inclusive
    span_end      TIMESTAMPTZ NOT NULL,  -- exclusive
    observations  INTEGER NOT NULL       -- polls merged into the span (a poll just before the
                                         -- day whose window reaches into it included)
);

-- The grid: every configured scope x every interval of the day, observed or not.
CREATE TABLE coverage_intervals (
    day                   DATE NOT NULL,
    scope_key             VARCHAR NOT NULL,
    interval_start        TIMESTAMPTZ NOT NULL,
    interval_end          TIMESTAMPTZ NOT NULL,
    local_start           TIMESTAMP NOT NULL,  -- wall clock in the configured time zone
    observed_seconds      DOUBLE NOT NULL,
    observed_share        DOUBLE NOT NULL,     -- observed / interval seconds (completeness)
    avg_available         DOUBLE,              -- time-weighted head counts over the observed part
    avg_busy              DOUBLE,
    avg_away              DOUBLE,
    avg_offline           DOUBLE,
    avg_other             DOUBLE,              -- every other (custom) status together
    staffed               DOUBLE,              -- avg_available + avg_busy
    min_available         INTEGER,             -- AVAILABLE head count over the polls seen
    max_available         INTEGER,
    occupancy             DOUBLE,              -- avg_busy / staffed (NULL when staffed = 0)
    zero_available_share  DOUBLE,              -- share of observed time with no agent AVAILABLE
    observations          INTEGER NOT NULL     -- successful polls inside the interval
);

-- The same grid in long form: one row per status seen in a cell, custom statuses included.
CREATE TABLE coverage_status_intervals (
    day             DATE NOT NULL,
    scope_key       VARCHAR NOT NULL,
    interval_start  TIMESTAMPTZ NOT NULL,
    status          VARCHAR NOT NULL,
    avg_agents      DOUBLE NOT NULL,   -- agent_seconds / observed seconds of the cell
    agent_seconds   DOUBLE NOT NULL    -- agent-seconds in this status (sums across cells)
);

-- Agents needed per grid cell: the winning requirement rule (targets or Erlang C).
CREATE TABLE staffing_requirements (
    day              DATE NOT NULL,
    scope_key        VARCHAR NOT NULL,
    interval_start   TIMESTAMPTZ NOT NULL,
    local_start      TIMESTAMP NOT NULL,
    required_agents  DOUBLE NOT NULL,
    source           VARCHAR NOT NULL    -- 'target' | 'erlang_c'
);

-- Coverage against requirement per grid cell.
CREATE TABLE coverage_vs_requirement (
    day              DATE NOT NULL,
    scope_key        VARCHAR NOT NULL,
    interval_start   TIMESTAMPTZ NOT NULL,
    local_start      TIMESTAMP NOT NULL,
    required_agents  DOUBLE,
    staffed          DOUBLE,
    available        DOUBLE,            -- avg_available
    gap              DOUBLE,            -- available - required
    met              BOOLEAN,           -- available >= required; NULL if either is unknown
    observed_share   DOUBLE NOT NULL
);

-- One row per (day, scope): how the day went against requirement.
CREATE TABLE coverage_daily_summary (
    day                         DATE NOT NULL,
    scope_key                   VARCHAR NOT NULL,
    intervals                   INTEGER NOT NULL,
    intervals_observed          INTEGER NOT NULL,
    intervals_with_requirement  INTEGER NOT NULL,
    intervals_met               INTEGER NOT NULL,
    share_met                   DOUBLE,      -- met / cells with requirement and observation
    shortfall_agent_hours       DOUBLE NOT NULL,
    worst_interval_start        TIMESTAMPTZ,
    worst_local_start           TIMESTAMP,
    worst_gap                   DOUBLE,
    avg_available               DOUBLE,      -- mean over observed cells
    avg_required                DOUBLE       -- mean over cells with a requirement
);
