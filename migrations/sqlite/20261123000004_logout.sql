-- Front- and Back-Channel Logout 1.0 client metadata.
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN backchannel_logout_session_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN frontchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN frontchannel_logout_session_required BOOLEAN NOT NULL DEFAULT FALSE;

-- The back-channel logout outbox: every notice Sesame owes an app, kept
-- until it is delivered or no longer meaningful.
CREATE TABLE logout_deliveries (
    id              BLOB    PRIMARY KEY NOT NULL,
    client_id       TEXT   NOT NULL,
    uri             TEXT   NOT NULL,
    subject         TEXT   NOT NULL,
    sid             TEXT,
    created_at      BIGINT NOT NULL,
    give_up_at      BIGINT NOT NULL,
    status          TEXT   NOT NULL, -- pending | delivered | failed
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until   BIGINT,          -- a node is sending it until then
    last_error      TEXT,
    delivered_at    BIGINT
);
CREATE INDEX logout_deliveries_due ON logout_deliveries (status, next_attempt_at);
