-- The unit last detected (not set) for each level of the account's rows: 'queue' (skill_id
-- '') or 'skill'. Pages without evidence keep it (pipelines/kore/callvolume_units.py).
-- Parameters: $account_id (VARCHAR).
SELECT level, arg_max(time_unit, fetched_at)
FROM (
    SELECT CASE WHEN skill_id = '' THEN 'queue' ELSE 'skill' END AS level, time_unit, fetched_at
    FROM contact_volume
    WHERE account_id = $account_id AND unit_basis = 'detected'
)
GROUP BY level;
