-- Rows of the incoming page (registered as volume_page) that will replace a stored row with
-- different figures: restatements.
-- Parameters: none.
SELECT count(*)
FROM volume_page AS n
JOIN contact_volume AS o
  USING (account_id, queue_id, skill_id, interval_start)
WHERE row(o.interval_end, o.offered, o.answered, o.abandoned, o.completed, o.handle_seconds,
          o.talk_seconds, o.acw_seconds, o.hold_seconds, o.wait_answered_seconds,
          o.wait_abandoned_seconds, o.max_wait_answered_seconds, o.max_wait_abandoned_seconds)
      IS DISTINCT FROM
      row(n.interval_end, n.offered, n.answered, n.abandoned, n.completed, n.handle_seconds,
          n.talk_seconds, n.acw_seconds, n.hold_seconds, n.wait_answered_seconds,
          n.wait_abandoned_seconds, n.max_wait_answered_seconds, n.max_wait_abandoned_seconds);
