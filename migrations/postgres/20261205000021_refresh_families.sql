-- A grant's refresh tokens share everything but their digests and times, so
-- that moves to one row per family, and a token keeps only what rotation
-- changes: a rotation updates and inserts narrow rows under two indexes
-- where it maintained five, and revoking a grant is one row, which also
-- covers a successor stored while the revocation ran.
ALTER TABLE refresh_tokens RENAME TO refresh_tokens_unsplit;

CREATE TABLE refresh_families (
    family_id         UUID   PRIMARY KEY NOT NULL,
    client_id         TEXT   NOT NULL,
    user_id           UUID   NOT NULL,
    scopes            TEXT   NOT NULL,
    sid               TEXT   NOT NULL,  -- the app's session id, kept in ID tokens from refreshes
    session           TEXT,             -- the SSO session it dies with; NULL for offline_access
    auth_time         BIGINT NOT NULL,
    amr               TEXT   NOT NULL,
    resource          TEXT,
    family_expires_at BIGINT NOT NULL,  -- absolute
    revoked_at        BIGINT
);

-- Every token of a family carried the family's columns; a family counts as
-- revoked when any of its tokens was.
INSERT INTO refresh_families (family_id, client_id, user_id, scopes, sid, session, auth_time, amr, resource,
                              family_expires_at, revoked_at)
SELECT DISTINCT ON (family_id) family_id, client_id, user_id, scopes, sid, session, auth_time, amr, resource,
       family_expires_at,
       (SELECT MIN(r.revoked_at) FROM refresh_tokens_unsplit r WHERE r.family_id = t.family_id)
FROM refresh_tokens_unsplit t ORDER BY family_id, issued_at;

CREATE TABLE refresh_tokens (
    family_id   UUID   NOT NULL REFERENCES refresh_families (family_id) ON DELETE CASCADE,
    token_hash  TEXT   NOT NULL,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,  -- sliding
    consumed_at BIGINT,
    parent_hash TEXT,             -- the token this one replaced
    -- Named: the table renamed above still holds refresh_tokens_pkey.
    CONSTRAINT refresh_tokens_digest PRIMARY KEY (token_hash)
);

INSERT INTO refresh_tokens (family_id, token_hash, issued_at, expires_at, consumed_at, parent_hash)
SELECT family_id, token_hash, issued_at, expires_at, consumed_at, parent_hash FROM refresh_tokens_unsplit;

DROP TABLE refresh_tokens_unsplit;

CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_families_session ON refresh_families (session);
CREATE INDEX refresh_families_user ON refresh_families (user_id);
CREATE INDEX refresh_families_expiry ON refresh_families (family_expires_at);
