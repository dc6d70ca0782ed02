-- How many spans one day of agent_status_spans holds (what build_spans reports).
-- Parameter: $day (DATE).
SELECT count(*) FROM agent_status_spans WHERE day = $day;
