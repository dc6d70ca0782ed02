-- A synthetic day of coverage for the report benchmark (benchmarks/bench_report_scale.py):
-- $scopes scopes (INTEGER) x 96 quarter hours of $day (DATE), with shortfalls that vary by
-- scope so the report's ranking has something to rank. Written into a migrated warehouse.
INSERT INTO scopes BY NAME
SELECT 'skill:s' || i AS scope_key, 'skill' AS kind, 's' || i AS ref_id, 'Scope ' || i AS name,
       now() AS updated_at
FROM range($scopes) t(i);
INSERT INTO coverage_vs_requirement BY NAME
SELECT $day::DATE AS day, 'skill:s' || i AS scope_key,
       $day::TIMESTAMPTZ + INTERVAL 15 MINUTE * n AS interval_start,
       $day::TIMESTAMP + INTERVAL 15 MINUTE * n AS local_start,
       3 + (i % 5) AS required_agents, 4.0 AS staffed, 2.0 + (n % 4) AS available,
       2.0 + (n % 4) - 3 - (i % 5) AS gap, 2.0 + (n % 4) >= 3 + (i % 5) AS met,
       1.0 AS observed_share
FROM range($scopes) a(i), range(96) b(n);
INSERT INTO coverage_daily_summary BY NAME
SELECT $day::DATE AS day, 'skill:s' || i AS scope_key, 96 AS intervals, 96 AS intervals_observed,
       96 AS intervals_with_requirement, 24 AS intervals_met, 0.25 AS share_met,
       (i % 97) * 1.0 AS shortfall_agent_hours, 2.0 AS avg_available, 3.0 AS avg_required
FROM range($scopes) t(i);;
