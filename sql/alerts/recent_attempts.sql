-- Delivery attempts per destination since $since (TIMESTAMPTZ): what the per-destination rate
-- limit has already spent in the last minute.
SELECT destination, count(*) AS attempts
FROM alert_attempts
WHERE started_at >= $since
GROUP BY destination;
