-- WebAuthn credentials: passkeys (discoverable, user-verified: a first
-- factor on their own) and security keys (a second factor). `credential` is
-- webauthn-rs's serialised credential (public key, counter, flags); the
-- credential id is unique across accounts.
CREATE TABLE webauthn_credentials (
    id            BLOB   PRIMARY KEY NOT NULL,
    user_id       BLOB   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          TEXT   NOT NULL,
    name          TEXT   NOT NULL,
    credential_id TEXT   NOT NULL UNIQUE,
    credential    TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);
