-- Claim this file for one account. $name (VARCHAR): the account; $claimed_at (TIMESTAMPTZ).
-- The primary key and the check before it keep a second owner out.
INSERT INTO warehouse_account VALUES ($name, $claimed_at) ON CONFLICT DO NOTHING
