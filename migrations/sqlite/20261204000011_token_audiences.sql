-- Operator settings for a client's access tokens: the audiences (RFC 8707
-- resource indicators) it may ask for, and whether it may introspect every
-- client's access tokens (a resource server).
ALTER TABLE clients ADD COLUMN access_token_audiences TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN resource_server BOOLEAN NOT NULL DEFAULT FALSE;
-- The resource a refresh token's access tokens are for, when one was asked.
ALTER TABLE refresh_tokens ADD COLUMN resource TEXT;
