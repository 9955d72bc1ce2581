-- An app may require that people's email addresses be confirmed before it
-- gets a code (set by the operator).
ALTER TABLE clients ADD COLUMN require_verified_email BOOLEAN NOT NULL DEFAULT FALSE;
