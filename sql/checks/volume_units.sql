-- The time units contact volume rows were read in, per account and level ('queue' rows have
-- skill_id '', 'skill' rows the skill's ID), with how each was decided. Rows whose times are
-- all zero or missing (a night interval) are left out: any unit reads them the same.
-- Parameters: none.
SELECT account_id,
       CASE WHEN skill_id = '' THEN 'queue' ELSE 'skill' END AS level,
       time_unit,
       unit_basis,
       count(*) AS rows,
       max(fetched_at) AS last_fetched
FROM contact_volume
WHERE greatest(
          coalesce(handle_seconds, 0), coalesce(talk_seconds, 0), coalesce(acw_seconds, 0),
          coalesce(hold_seconds, 0), coalesce(wait_answered_seconds, 0),
          coalesce(wait_abandoned_seconds, 0)
      ) > 0
GROUP BY ALL
ORDER BY ALL;
