-- A grant's refresh tokens share everything but their digests and times, so
-- that moves to one row per family, and a token keeps only what rotation
-- changes. A rotation then maintains the token table and two indexes
-- (digest, family) where it maintained the table, its key and four
-- indexes; revoking a grant is one row, which also covers a successor
-- stored while the revocation ran.
--
-- Both are ordinary rowid tables on purpose: a new row is appended to the
-- last page. Keyed by their random ids instead (WITHOUT ROWID), every
-- insert landed on a random page and split it: measured, refresh no faster
-- and the code flow 8% slower than with the single table.
DROP TRIGGER refresh_tokens_consume_parent;
ALTER TABLE refresh_tokens RENAME TO refresh_tokens_unsplit;

CREATE TABLE refresh_families (
    family_id         BLOB   PRIMARY KEY NOT NULL,
    client_id         TEXT   NOT NULL,
    user_id           BLOB   NOT NULL,
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
SELECT family_id, client_id, user_id, scopes, sid, session, auth_time, amr, resource,
       MAX(family_expires_at), MIN(revoked_at)
FROM refresh_tokens_unsplit GROUP BY family_id;

CREATE TABLE refresh_tokens (
    family_id   BLOB   NOT NULL REFERENCES refresh_families (family_id) ON DELETE CASCADE,
    token_hash  TEXT   NOT NULL,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,  -- sliding
    consumed_at BIGINT,
    parent_hash TEXT              -- the token this one replaced
);

INSERT INTO refresh_tokens (family_id, token_hash, issued_at, expires_at, consumed_at, parent_hash)
SELECT family_id, token_hash, issued_at, expires_at, consumed_at, parent_hash FROM refresh_tokens_unsplit;

DROP TABLE refresh_tokens_unsplit;

CREATE UNIQUE INDEX refresh_tokens_digest ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_families_session ON refresh_families (session);
CREATE INDEX refresh_families_user ON refresh_families (user_id);
CREATE INDEX refresh_families_expiry ON refresh_families (family_expires_at);

-- Rotation stays one INSERT (see migration 0009): the successor's insert
-- consumes its parent, in the same statement.
CREATE TRIGGER refresh_tokens_consume_parent
AFTER INSERT ON refresh_tokens
WHEN NEW.parent_hash IS NOT NULL
BEGIN
    UPDATE refresh_tokens SET consumed_at = NEW.issued_at
    WHERE token_hash = NEW.parent_hash;
END;
