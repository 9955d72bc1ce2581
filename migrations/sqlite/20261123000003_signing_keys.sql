-- Signing keys shared by every node. A key's state follows from its times:
-- published from created_at, signing from activates_at until a newer key of
-- the same algorithm activates, then retired, and removed after retention.
CREATE TABLE signing_keys (
    kid          TEXT   PRIMARY KEY NOT NULL, -- RFC 7638 thumbprint
    alg          TEXT   NOT NULL,             -- RS256 | ES256
    generation   BIGINT NOT NULL,             -- 1, 2, 3… per algorithm
    private_key  BLOB  NOT NULL,             -- PKCS#8 PEM, AES-256-GCM encrypted
    kek_id       TEXT   NOT NULL,             -- which key-encryption key
    public_jwk   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    activates_at BIGINT NOT NULL,
    revoked_at   BIGINT,
    -- Two nodes rotating at once: only one insert of the next generation wins.
    UNIQUE (alg, generation)
);

ALTER TABLE clients ADD COLUMN id_token_signed_response_alg TEXT NOT NULL DEFAULT 'RS256';
