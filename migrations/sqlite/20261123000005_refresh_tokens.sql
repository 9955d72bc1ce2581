-- Refresh tokens, stored by SHA-256 digest, in families (one per grant).
-- Each use consumes a token and adds its successor; presenting a consumed
-- token outside the grace window revokes the whole family.
CREATE TABLE refresh_tokens (
    token_hash        TEXT   PRIMARY KEY NOT NULL,
    family_id         BLOB    NOT NULL,
    client_id         TEXT   NOT NULL,
    user_id           BLOB    NOT NULL,
    scopes            TEXT   NOT NULL,
    sid               TEXT   NOT NULL,  -- the app's session id, kept in ID tokens from refreshes
    session           TEXT,             -- the SSO session it dies with; NULL for offline_access
    auth_time         BIGINT NOT NULL,
    amr               TEXT   NOT NULL,
    issued_at         BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,  -- sliding
    family_expires_at BIGINT NOT NULL,  -- absolute
    consumed_at       BIGINT,
    revoked_at        BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session);
