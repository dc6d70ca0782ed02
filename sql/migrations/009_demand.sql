-- Demand: requirements computed from Kore's contact volume (table contact_volume, migration
-- 007) and the weekday x interval profile forecast with its intraday reforecast. Both tables
-- are partitioned by `day` (one LOCAL calendar day in the reporting time zone, on the coverage
-- grid) and each day is replaced whole in one transaction by pipelines/demand/. Definitions:
-- the docstring of pipelines/demand/__init__.py.

-- The forecast of one day per scope and grid cell. A cell of a past day, or a completed cell
-- of today, keeps its forecast so forecast error can be measured against what came.
CREATE TABLE demand_forecast (
    day               DATE NOT NULL,
    scope_key         VARCHAR NOT NULL,      -- 'queue:<id>', 'skill:<id>' or 'all'
    interval_start    TIMESTAMPTZ NOT NULL,
    interval_end      TIMESTAMPTZ NOT NULL,
    local_start       TIMESTAMP NOT NULL,
    offered_profile   DOUBLE NOT NULL,       -- mean offered in this cell over the weeks used
    weeks_used        INTEGER NOT NULL,      -- same-weekday days with volume in the window
    ratio             DOUBLE NOT NULL,       -- intraday reforecast factor (1 when none)
    offered_forecast  DOUBLE NOT NULL,       -- offered_profile x ratio
    aht_seconds       DOUBLE,                -- handle seconds / answered over the window's cell
    patience_seconds  DOUBLE,                -- the scope's censored MLE over the window (NULL: no abandons)
    method            VARCHAR NOT NULL,      -- 'profile' | 'profile_reforecast'
    generated_at      TIMESTAMPTZ NOT NULL   -- the "now" the forecast was made at
);

-- Agents needed per scope and grid cell from demand: what came (Kore's contact volume) for
-- completed cells, the forecast for the others. Both Erlang A and Erlang C are kept.
CREATE TABLE demand_requirements (
    day                     DATE NOT NULL,
    scope_key               VARCHAR NOT NULL,
    interval_start          TIMESTAMPTZ NOT NULL,
    interval_end            TIMESTAMPTZ NOT NULL,
    local_start             TIMESTAMP NOT NULL,
    is_forecast             BOOLEAN NOT NULL,  -- true: from demand_forecast, not from what came
    offered                 DOUBLE NOT NULL,   -- contacts offered in the cell (forecast: expected)
    arrival_rate_per_hour   DOUBLE NOT NULL,
    answered                DOUBLE,
    abandoned               DOUBLE,
    aht_seconds             DOUBLE,            -- handle seconds / answered
    channel                 VARCHAR,           -- busiest channel of the scope's agents (capacity)
    concurrency             DOUBLE NOT NULL,   -- contacts an agent holds at once (1: voice or unknown)
    effective_aht_seconds   DOUBLE,            -- aht_seconds / concurrency: agent-seconds per contact
    patience_seconds        DOUBLE,            -- censored exponential MLE (NULL: no abandons)
    patience_abandons       DOUBLE,            -- abandons the patience estimate rests on
    service_level_goal      DOUBLE NOT NULL,
    target_seconds          DOUBLE NOT NULL,
    max_occupancy           DOUBLE,
    required_erlang_a       INTEGER,           -- NULL when patience is unknown
    required_erlang_c       INTEGER,
    required_agents         DOUBLE,            -- Erlang A when patience is known, else Erlang C
    source                  VARCHAR,           -- 'kore_erlang_a' | 'kore_erlang_c' |
                                               -- 'profile_erlang_a' | 'profile_erlang_c'
    service_level_expected  DOUBLE,            -- the model's service level at required_agents
    on_queue                DOUBLE,            -- agents on queue in the cell (coverage), if built
    service_level_achieved  DOUBLE,            -- the model's service level at on_queue
    computed_at             TIMESTAMPTZ NOT NULL
);
