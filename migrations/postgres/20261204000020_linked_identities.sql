-- Accounts of upstream identity providers linked to local accounts, by the
-- upstream's issuer and subject only (never by an address: that is how
-- accounts are taken over). An account created from an upstream sign-in
-- has an empty password hash: no password signs in to it.
CREATE TABLE linked_identities (
    issuer    TEXT   NOT NULL,
    subject   TEXT   NOT NULL,
    user_id   UUID   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    upstream  TEXT   NOT NULL,
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX linked_identities_by_user ON linked_identities (user_id);
