-- The episodes still open (no recovery yet), one per scope at most. No parameters.
SELECT episode_id, scope_key, scope_name, short_since, alerted_at, worst_net_staffing
FROM alert_episodes
WHERE ended_at IS NULL
ORDER BY scope_key;
