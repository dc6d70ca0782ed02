-- Privacy: the database's own key for hashing agents' e-mail and phone (AVAILABILITY_PII=hash)
-- when AVAILABILITY_PII_KEY is not set. One row, created on first use by pipelines/warehouse.py
-- and never changed, so hashes stay stable across ticks and joins on them keep working.
-- Only the simulator and the demo may rely on it: a key stored beside the hashes does not stop
-- someone holding the file from trying every phone number, so polling a real Kore.ai host
-- requires AVAILABILITY_PII_KEY instead.
CREATE TABLE pii_keys (
    id          INTEGER PRIMARY KEY,   -- always 1
    key_hex     VARCHAR NOT NULL,      -- 32 random bytes, hex
    created_at  TIMESTAMPTZ NOT NULL
);
