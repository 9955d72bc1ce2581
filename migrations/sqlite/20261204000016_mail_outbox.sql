-- Mail Sesame owes people, kept until it is sent or given up. The body (a
-- reset link is a credential) is encrypted with the key-encryption key and
-- erased once the message leaves.
CREATE TABLE mail_outbox (
    id              BLOB   PRIMARY KEY NOT NULL,
    recipient       TEXT   NOT NULL,
    kind            TEXT   NOT NULL,
    subject         TEXT   NOT NULL,
    body_kek_id     TEXT,
    sealed_body     BLOB,
    status          TEXT   NOT NULL, -- pending | delivered | failed
    attempts        BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    give_up_at      BIGINT NOT NULL,
    claimed_until   BIGINT,          -- a node is sending it until then
    last_error      TEXT,
    sent_at         BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);
