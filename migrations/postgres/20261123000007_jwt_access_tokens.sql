-- RFC 9068: a client may ask for JWT access tokens (typ at+jwt) that
-- resource servers validate locally; opaque tokens stay the default.
ALTER TABLE clients ADD COLUMN jwt_access_tokens BOOLEAN NOT NULL DEFAULT FALSE;
