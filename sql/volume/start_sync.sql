-- Open a sync window; an unfinished window of the account is abandoned first (a window is
-- only replaced when a run decides to, e.g. after its page size changed).
-- Parameters: $sync_id, $account_id (VARCHAR), $first_sync, $skill_breakdown (BOOLEAN),
-- $from_ts (TIMESTAMPTZ or NULL), $to_ts, $now (TIMESTAMPTZ), $page_size (INTEGER).
DELETE FROM contact_volume_syncs WHERE account_id = $account_id AND completed_at IS NULL;
INSERT INTO contact_volume_syncs VALUES (
    $sync_id, $account_id, $first_sync, $from_ts, $to_ts, $page_size, $skill_breakdown,
    0, 0, NULL, 0, 0, $now, $now, NULL
);
