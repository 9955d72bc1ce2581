-- Second factors. One TOTP secret per account (encrypted under a KEK, like
-- signing keys); `last_step` is the newest RFC 6238 time step accepted, so a
-- code is accepted once and never an earlier one.
CREATE TABLE totp_factors (
    user_id      BLOB   PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret       BLOB   NOT NULL,
    kek_id       TEXT   NOT NULL,
    last_step    BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);

-- Single-use recovery codes, by SHA-256 digest (80 random bits each).
CREATE TABLE recovery_codes (
    user_id    BLOB   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- An app may require two factors of everyone who signs in to it.
ALTER TABLE clients ADD COLUMN require_second_factor BOOLEAN NOT NULL DEFAULT FALSE;
