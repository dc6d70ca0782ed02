-- Queue-level contact volume rows whose offered contacts differ from answered + abandoned by
-- more than the tolerance (a contact offered near an interval's end may be answered or
-- abandoned in the next, so a small difference is normal).
-- Parameters: $since (TIMESTAMPTZ), $tolerance_contacts (INTEGER), $tolerance_share (DOUBLE).
SELECT account_id, queue_id, interval_start, offered, answered, abandoned,
       offered - coalesce(answered, 0) - coalesce(abandoned, 0) AS difference
FROM contact_volume
WHERE skill_id = ''
  AND interval_start >= $since
  AND offered IS NOT NULL
  AND abs(offered - coalesce(answered, 0) - coalesce(abandoned, 0))
      > greatest($tolerance_contacts, $tolerance_share * offered)
ORDER BY abs(difference) DESC, interval_start;
