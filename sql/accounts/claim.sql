-- Claim this file for one account. $account (VARCHAR): its name; $claimed_at (TIMESTAMPTZ).
-- The primary key and the check before it keep a second owner out.
INSERT INTO warehouse_account VALUES ($account, $claimed_at) ON CONFLICT DO NOTHING
