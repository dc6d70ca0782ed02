-- The time units contact volume rows were read in, per account and level ('queue' rows have
-- skill_id '', 'skill' rows the skill's ID), with how each was decided.
-- Parameters: none.
SELECT account_id,
       CASE WHEN skill_id = '' THEN 'queue' ELSE 'skill' END AS level,
       time_unit,
       unit_basis,
       count(*) AS rows,
       max(fetched_at) AS last_fetched
FROM contact_volume
GROUP BY ALL
ORDER BY ALL;
