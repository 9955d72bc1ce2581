-- Pruning finds what has outlived its use by these, in small batches.
CREATE INDEX refresh_tokens_family_expiry ON refresh_tokens (family_expires_at);
CREATE INDEX logout_deliveries_created ON logout_deliveries (created_at);
