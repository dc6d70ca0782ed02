-- Per-scope summary of one day for the daily report, ranked by shortfall (largest first).
-- Parameters: $day, the report day (DATE). The worst interval's local start comes from the
-- interval table itself so the report shows exactly the local label the pipeline computed.
SELECT
    s.scope_key,
    coalesce(sc.name, s.scope_key) AS name,
    s.intervals,
    s.intervals_observed,
    s.intervals_with_requirement,
    s.intervals_met,
    s.share_met,
    s.shortfall_agent_hours,
    s.worst_interval_start,
    v.local_start AS worst_local_start,
    s.worst_gap,
    s.avg_available,
    s.avg_required
FROM coverage_daily_summary AS s
LEFT JOIN scopes AS sc ON sc.scope_key = s.scope_key
LEFT JOIN coverage_vs_requirement AS v
    ON v.day = s.day
    AND v.scope_key = s.scope_key
    AND v.interval_start = s.worst_interval_start
WHERE s.day = $day
ORDER BY s.shortfall_agent_hours DESC NULLS LAST, s.scope_key;
