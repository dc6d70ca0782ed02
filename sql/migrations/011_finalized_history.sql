-- Finalized coverage from Kore's exact status history (agent_status_history, migration 010).
--
-- A local day whose history is complete (status_history_fetches.completed_at set and
-- covers_day) is rebuilt from the exact spans for every scope whose members are known: 'all',
-- named agent lists, and skills and queues with membership rows ('finalized'); today, days
-- without complete history and scopes without known members come from polls ('provisional').
-- Definitions: the docstring of pipelines/coverage/__init__.py (and the README).
--
-- Rows of days built before this migration read 'provisional' (they were built from polls).

-- Where a span came from: 'provisional' (polls) or 'finalized' (agent_status_history), and
-- the custom status name Kore gave it (secondaryStatus: Break, Training ...; NULL from polls).
ALTER TABLE agent_status_spans ADD COLUMN basis VARCHAR DEFAULT 'provisional';
ALTER TABLE agent_status_spans ADD COLUMN secondary_status VARCHAR;

-- The basis of each cell, and what the polls alone saw of it: polled_seconds (the cell's time
-- inside poll observation windows), and the poll-based available and on-queue averages over
-- that time (equal to avg_available / avg_on_queue on a provisional row).
ALTER TABLE coverage_intervals ADD COLUMN basis VARCHAR DEFAULT 'provisional';
ALTER TABLE coverage_intervals ADD COLUMN polled_seconds DOUBLE;
ALTER TABLE coverage_intervals ADD COLUMN polled_available DOUBLE;
ALTER TABLE coverage_intervals ADD COLUMN polled_on_queue DOUBLE;
ALTER TABLE coverage_status_intervals ADD COLUMN basis VARCHAR DEFAULT 'provisional';
ALTER TABLE coverage_vs_requirement ADD COLUMN basis VARCHAR DEFAULT 'provisional';
ALTER TABLE coverage_daily_summary ADD COLUMN basis VARCHAR DEFAULT 'provisional';

-- The basis each scope of a day was built on, decided when the day's spans are built (the grid
-- reads it, so spans and grid never disagree even if a history fetch completes in between).
CREATE TABLE coverage_bases (
    day         DATE NOT NULL,
    scope_key   VARCHAR NOT NULL,
    basis       VARCHAR NOT NULL,   -- 'finalized' or 'provisional'
    decided_at  TIMESTAMPTZ NOT NULL
);

-- The poll-based spans of the finalized scopes of a day (what agent_status_spans held before
-- the exact spans replaced them), kept so the grid can say what the polls alone saw.
CREATE TABLE coverage_polled_spans (
    day              DATE NOT NULL,
    scope_key        VARCHAR NOT NULL,
    agent_id         VARCHAR NOT NULL,
    status           VARCHAR NOT NULL,
    busy_productive  BOOLEAN,
    span_start       TIMESTAMPTZ NOT NULL,
    span_end         TIMESTAMPTZ NOT NULL
);

-- Per (day, scope), rebuilt with coverage_intervals: completeness before and after
-- finalization, and how far the polls were from the exact figures.
CREATE TABLE coverage_reconciliation (
    day                   DATE NOT NULL,
    scope_key             VARCHAR NOT NULL,
    basis                 VARCHAR NOT NULL,   -- 'finalized' or 'provisional'
    cells                 INTEGER NOT NULL,   -- cells of the day that had started when built
    cells_polled          INTEGER NOT NULL,   -- cells with any time inside poll windows
    cells_fully_polled    INTEGER NOT NULL,   -- cells entirely inside poll windows
    polled_share          DOUBLE,             -- mean share of cell time inside poll windows
    cells_covered         INTEGER NOT NULL,   -- cells with observed time in the coverage row
    observed_share        DOUBLE,             -- mean observed_share of the coverage rows
    cells_repaired        INTEGER NOT NULL,   -- finalized cells the polls saw only in part or not at all
    cells_compared        INTEGER NOT NULL,   -- finalized cells fully polled: compared below
    mean_available        DOUBLE,             -- exact mean AVAILABLE agents over those cells
    mae_available         DOUBLE,             -- mean |polled - exact| AVAILABLE agents
    mae_available_share   DOUBLE,             -- mae_available / mean_available
    mean_on_queue         DOUBLE,
    mae_on_queue          DOUBLE,
    mae_on_queue_share    DOUBLE,
    built_at              TIMESTAMPTZ NOT NULL
);

-- The cross-check of one account's local day against Kore's Historical Agent Status Summary
-- (userstatus, PT15M): per agent (user ID: the summary names no aId), interval of the day and
-- status (AVAILABLE, BUSY, AWAY: the summary leaves OFFLINE out), the seconds the summary
-- states and the seconds of the stored exact spans; differs = more than 1 s apart (the
-- summary's "919 sec" is rounded). Replaced whole per (account, day).
CREATE TABLE status_summary_checks (
    account_id       VARCHAR NOT NULL,
    day              DATE NOT NULL,
    user_id          VARCHAR NOT NULL,
    interval_start   TIMESTAMPTZ NOT NULL,
    interval_end     TIMESTAMPTZ NOT NULL,
    bucket           VARCHAR NOT NULL,
    summary_seconds  DOUBLE NOT NULL,
    span_seconds     DOUBLE NOT NULL,
    differs          BOOLEAN NOT NULL,
    checked_at       TIMESTAMPTZ NOT NULL
);
