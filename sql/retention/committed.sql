-- Which of the given retention attempts committed their DELETE. Parameters: $attempt_ids
-- (VARCHAR[]).
SELECT attempt_id FROM retention_runs WHERE list_contains($attempt_ids, attempt_id);
