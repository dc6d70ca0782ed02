-- Publish one tick: its answers (no longer listed in tick_landing), its request sends (registered as incoming_sends), its row in ticks, and
-- the request log pruned of sends too old to matter for any rate window. Runs last, in the
-- tick's last transaction, with sql/ingest/snapshots.sql and sql/ingest/capacity.sql.
-- Parameters: $tick_id, $account_id, $source ('poll' | 'synthetic'), $mode ('per_scope' |
-- 'membership'), $run_id (or NULL),
-- $started_at, $ended_at (TIMESTAMPTZ), $scopes_asked, $scopes_ok, $scopes_failed,
-- $scopes_deferred, $requests (INTEGER), $written_at (TIMESTAMPTZ), $log_kept_since (TIMESTAMPTZ: request
-- log rows of this account sent before it are deleted).
DELETE FROM tick_landing WHERE tick_id = $tick_id;
INSERT INTO request_log BY NAME SELECT * FROM incoming_sends;
INSERT INTO ticks BY NAME
SELECT
    $tick_id AS tick_id,
    $account_id AS account_id,
    $source AS source,
    $mode AS mode,
    $run_id AS run_id,
    $started_at AS started_at,
    $ended_at AS ended_at,
    $scopes_asked AS scopes_asked,
    $scopes_ok AS scopes_ok,
    $scopes_failed AS scopes_failed,
    $scopes_deferred AS scopes_deferred,
    $requests AS requests,
    $written_at AS written_at;
DELETE FROM request_log WHERE account_id = $account_id AND sent_at < $log_kept_since;
