-- private_key_jwt (RFC 7523, OIDC Core 9): the client's public keys, inline
-- (a JWK Set) or where to fetch them.
ALTER TABLE clients ADD COLUMN jwks TEXT;
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;
