-- Record one drift check (pipelines/warehouse/membership.py computes the differences).
-- Parameters: $checked_at (TIMESTAMPTZ), $account_id, $scope_key (VARCHAR),
-- $missing_agent_ids, $extra_agent_ids (VARCHAR[]), $agents_asked, $agents_known (INTEGER).
INSERT INTO membership_drift
    (checked_at, account_id, scope_key, missing_agent_ids, extra_agent_ids, agents_asked,
     agents_known)
VALUES ($checked_at, $account_id, $scope_key, $missing_agent_ids::VARCHAR[],
        $extra_agent_ids::VARCHAR[], $agents_asked, $agents_known);
