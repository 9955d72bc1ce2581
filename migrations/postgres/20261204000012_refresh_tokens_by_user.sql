-- Ending a person's access (password change, logout, disabling) revokes
-- their refresh tokens by user.
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
