-- The synthetic ticks of one chunk: tick k happens at epoch second k * $tick_seconds, for
-- k in [$k_from, $k_to). Writes the ticks rows and one landing row per (tick, scope) of the
-- registered incoming_scopes, shaped like a perfect poll: answered at once, first attempt.
-- The landing rows carry no body (nothing was received) and error_text 'synthetic', so no
-- reader can take them for real Kore.ai answers; coverage still counts them as observation
-- points because outcome = 'ok' and observed_at is set.
CREATE OR REPLACE TEMP TABLE history_ticks AS
SELECT
    k,
    to_timestamp(k * $tick_seconds) AS tick_at,
    strftime(timezone('UTC', to_timestamp(k * $tick_seconds)), 'synthetic-%Y-%m-%dT%H:%M:%SZ')
        AS tick_id
FROM range($k_from, $k_to) AS r(k);

INSERT INTO ticks (tick_id, account_id, source, run_id, started_at, ended_at, scopes_asked,
                   scopes_ok, scopes_failed, scopes_deferred, written_at)
SELECT tick_id, $account_id, 'synthetic', NULL, tick_at, tick_at, n, n, 0, 0, $now
FROM history_ticks
CROSS JOIN (SELECT count(*)::INTEGER AS n FROM incoming_scopes);

INSERT INTO raw_responses (tick_id, scope_key, account_id, requested_at, answered_at,
                           observed_at, attempts, http_status, latency_ms, outcome, error_kind,
                           error_text, body)
SELECT t.tick_id, s.scope_key, $account_id, t.tick_at, t.tick_at, t.tick_at, 1, 200, 0, 'ok', NULL,
       'synthetic', NULL
FROM history_ticks AS t
CROSS JOIN incoming_scopes AS s;
