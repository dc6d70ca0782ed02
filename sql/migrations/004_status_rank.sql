-- The one definition of status precedence, for an agent listed in two buckets of one answer:
-- BUSY > AVAILABLE > AWAY > any other status > OFFLINE (lower wins). Ingest keeps one row per
-- (tick, scope, agent) by it, and the span builder orders statuses by it.
CREATE OR REPLACE MACRO status_rank(status) AS
    CASE status
        WHEN 'BUSY' THEN 1
        WHEN 'AVAILABLE' THEN 2
        WHEN 'AWAY' THEN 3
        WHEN 'OFFLINE' THEN 5
        ELSE 4
    END;
