-- Client registration (OIDC Dynamic Client Registration 1.0, RFC 7591/7592)
-- and the developer portal.
ALTER TABLE clients ADD COLUMN application_type TEXT NOT NULL DEFAULT 'web'; -- web | native
ALTER TABLE clients ADD COLUMN client_uri TEXT;
ALTER TABLE clients ADD COLUMN logo_uri TEXT;
ALTER TABLE clients ADD COLUMN policy_uri TEXT;
ALTER TABLE clients ADD COLUMN tos_uri TEXT;
ALTER TABLE clients ADD COLUMN contacts TEXT NOT NULL DEFAULT '[]'; -- JSON array
ALTER TABLE clients ADD COLUMN owner_id UUID;                       -- the developer who registered it
ALTER TABLE clients ADD COLUMN registration_token_hash TEXT;        -- RFC 7592 registration access token, SHA-256
-- The secret replaced by a rotation, still accepted until it expires.
ALTER TABLE clients ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE clients ADD COLUMN previous_secret_expires_at BIGINT;
CREATE INDEX clients_owner ON clients (owner_id);

-- Space-separated roles: developer (registers clients on the portal), admin (sees every client).
ALTER TABLE users ADD COLUMN roles TEXT NOT NULL DEFAULT '';

-- Initial access tokens (RFC 7591 §3): bearer tokens that allow registering a client.
CREATE TABLE registration_tokens (
    id         UUID   PRIMARY KEY NOT NULL,
    token_hash TEXT   NOT NULL UNIQUE, -- SHA-256 of the token
    label      TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    uses_left  BIGINT NOT NULL
);
