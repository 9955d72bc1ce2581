-- A successor names the token it replaced. Rotation is then one INSERT,
-- guarded by the parent still being current, and this trigger marks the
-- parent consumed within the same statement (atomic under SQLite's write
-- lock): one round trip instead of BEGIN / UPDATE / INSERT / COMMIT.
ALTER TABLE refresh_tokens ADD COLUMN parent_hash TEXT;

CREATE TRIGGER refresh_tokens_consume_parent
AFTER INSERT ON refresh_tokens
WHEN NEW.parent_hash IS NOT NULL
BEGIN
    UPDATE refresh_tokens SET consumed_at = NEW.issued_at WHERE token_hash = NEW.parent_hash;
END;
