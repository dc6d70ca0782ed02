-- Net staffing: required ON-QUEUE agents (Erlang, before shrinkage) against actual on-queue
-- agents (AVAILABLE + productive BUSY), with logged-in agents, actual shrinkage, an optional
-- schedule and the intervals still to come. Definitions: the docstring of
-- pipelines/coverage/__init__.py (and the README), implemented by sql/coverage/*.sql.
--
-- Day partitions are rebuilt whole, so the rows of days built before this migration keep
-- NULL in every new column until their day is rebuilt (a backfill of the coverage assets);
-- readers must treat NULL as "not built with these definitions", never as zero.

-- Whether a BUSY span was productive: true = used capacity on some channel (handling a
-- contact), false = capacity data and none used (Training, Meeting ...), NULL = no capacity
-- data for the polls of the span, or a status other than BUSY. Spans split where it changes.
ALTER TABLE agent_status_spans ADD COLUMN busy_productive BOOLEAN;

ALTER TABLE coverage_intervals ADD COLUMN avg_busy_productive DOUBLE;  -- BUSY used capacity, or no capacity data
ALTER TABLE coverage_intervals ADD COLUMN avg_busy_other DOUBLE;       -- BUSY with capacity data and none used
ALTER TABLE coverage_intervals ADD COLUMN avg_on_queue DOUBLE;         -- avg_available + avg_busy_productive
ALTER TABLE coverage_intervals ADD COLUMN avg_logged_in DOUBLE;        -- every status but OFFLINE
ALTER TABLE coverage_intervals ADD COLUMN shrinkage DOUBLE;            -- 1 - on_queue / logged_in (NULL: logged_in 0)
ALTER TABLE coverage_intervals ADD COLUMN busy_capacity_known DOUBLE;  -- share of BUSY a-s with capacity data (NULL: no BUSY)

-- required_agents is now the ON-QUEUE requirement (before shrinkage); the scheduled heads it
-- takes given planned shrinkage, and the service level the requirement is expected to reach.
ALTER TABLE staffing_requirements ADD COLUMN scheduled_required DOUBLE;      -- NULL: no shrinkage known
ALTER TABLE staffing_requirements ADD COLUMN service_level_expected DOUBLE;  -- NULL for targets

-- Agents scheduled per scope and interval, from the schedules file
-- (AVAILABILITY_SCHEDULES_FILE, pipelines/coverage/schedules.py); replaced per day like the
-- other coverage tables.
CREATE TABLE staffing_schedules (
    day               DATE NOT NULL,
    scope_key         VARCHAR NOT NULL,
    interval_start    TIMESTAMPTZ NOT NULL,
    local_start       TIMESTAMP NOT NULL,
    scheduled_agents  DOUBLE NOT NULL
);

ALTER TABLE coverage_vs_requirement ADD COLUMN on_queue DOUBLE;            -- avg_on_queue
ALTER TABLE coverage_vs_requirement ADD COLUMN idle_available DOUBLE;      -- avg_available (spare capacity)
ALTER TABLE coverage_vs_requirement ADD COLUMN logged_in DOUBLE;           -- avg_logged_in
ALTER TABLE coverage_vs_requirement ADD COLUMN scheduled DOUBLE;           -- schedules file; NULL when none
ALTER TABLE coverage_vs_requirement ADD COLUMN net_staffing DOUBLE;        -- on_queue - required
ALTER TABLE coverage_vs_requirement ADD COLUMN requirement_source VARCHAR; -- staffing_requirements.source
ALTER TABLE coverage_vs_requirement ADD COLUMN is_future BOOLEAN;          -- interval_start >= the build's now

ALTER TABLE coverage_daily_summary ADD COLUMN intervals_judged INTEGER;    -- requirement AND observed AND not future
ALTER TABLE coverage_daily_summary ADD COLUMN avg_on_queue DOUBLE;         -- every avg_*: over the judged intervals
ALTER TABLE coverage_daily_summary ADD COLUMN avg_idle_available DOUBLE;
ALTER TABLE coverage_daily_summary ADD COLUMN avg_net_staffing DOUBLE;
ALTER TABLE coverage_daily_summary ADD COLUMN avg_scheduled DOUBLE;
ALTER TABLE coverage_daily_summary ADD COLUMN surplus_agent_hours DOUBLE;  -- sum max(on_queue - required, 0) x h
