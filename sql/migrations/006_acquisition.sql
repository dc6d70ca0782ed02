-- How each account acquired, when that changed: 'membership' (one availability request per
-- tick, membership from Kore's listing) or 'per_scope' with the reason ('auto' fell back
-- because the listing was refused or KORE_ORG_ID is unset). An 'auto' tick reads the latest
-- event so it does not ask a refused listing again every minute.
CREATE TABLE acquisition_events (
    changed_at  TIMESTAMPTZ NOT NULL,
    account_id  VARCHAR NOT NULL,
    mode        VARCHAR NOT NULL,
    reason      VARCHAR
);
