-- The account this file's rows belong to (pipelines/accounts.py): each Kore.ai account has
-- its own DuckDB file, so this one row is the account key of every table in it. Written by
-- the first write connection bound to an account (pipelines/warehouse/accounts.py); a file
-- that belongs to another account is refused, so two accounts' data never mix. A file
-- written before accounts existed is claimed by AVAILABILITY_ACCOUNT_NAME's account.
CREATE TABLE warehouse_account (
    name VARCHAR PRIMARY KEY,
    claimed_at TIMESTAMPTZ NOT NULL
);
