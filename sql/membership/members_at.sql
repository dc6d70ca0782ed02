-- The agents of one scope whose membership was valid at $at.
-- Parameters: $account_id (VARCHAR), $scope_key (VARCHAR), $at (TIMESTAMPTZ).
SELECT DISTINCT agent_id
FROM membership
WHERE account_id = $account_id
  AND scope_key = $scope_key
  AND valid_from <= $at
  AND (valid_to IS NULL OR $at < valid_to)
