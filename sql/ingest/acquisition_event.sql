-- Record that an account's acquisition changed mode, and why.
-- Parameters: $changed_at (TIMESTAMPTZ), $account_id, $mode, $reason (VARCHAR, NULL allowed).
INSERT INTO acquisition_events VALUES ($changed_at, $account_id, $mode, $reason)
