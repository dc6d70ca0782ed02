-- Upsert the simulated roster (registered as history_roster) seen in [$first_seen, $last_seen].
-- attributes carries "synthetic": true. A row that came from a real poll is never
-- overwritten: real answers are the better record of an agent than the model.
INSERT INTO agents AS t (agent_id, user_id, first_name, last_name, email, phone, custom_id,
                         is_digital_enabled, attributes, first_seen_at, last_seen_at)
SELECT agent_id, user_id, first_name, last_name, email, phone, custom_id, is_digital_enabled,
       attributes::JSON, $first_seen, $last_seen
FROM history_roster
ON CONFLICT (agent_id) DO UPDATE SET
    user_id = excluded.user_id,
    first_name = excluded.first_name,
    last_name = excluded.last_name,
    email = excluded.email,
    phone = excluded.phone,
    custom_id = excluded.custom_id,
    is_digital_enabled = excluded.is_digital_enabled,
    attributes = excluded.attributes,
    first_seen_at = least(t.first_seen_at, excluded.first_seen_at),
    last_seen_at = greatest(t.last_seen_at, excluded.last_seen_at)
WHERE coalesce(t.attributes ->> 'synthetic', 'false') = 'true';
