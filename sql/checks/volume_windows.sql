-- Holes between completed contact volume sync windows: a window that starts after every
-- earlier window of its account ended leaves [gap_from, gap_to) unfetched.
-- Parameters: none.
WITH done AS (
    SELECT account_id, from_ts, to_ts,
           max(to_ts) OVER (
               PARTITION BY account_id ORDER BY to_ts, from_ts
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
           ) AS covered_to
    FROM contact_volume_syncs
    WHERE completed_at IS NOT NULL
)
SELECT account_id, covered_to AS gap_from, from_ts AS gap_to
FROM done
WHERE covered_to IS NOT NULL AND from_ts > covered_to
ORDER BY account_id, gap_from;
