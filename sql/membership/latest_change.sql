-- The latest instant an account's membership history was changed at (a refresh older than
-- it cannot be applied). Parameters: $account_id (VARCHAR).
SELECT max(greatest(valid_from, coalesce(valid_to, valid_from)))
FROM membership
WHERE account_id = $account_id
