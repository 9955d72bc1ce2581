-- Clients of the operator's own (first-party) skip the consent page.
ALTER TABLE clients ADD COLUMN first_party BOOLEAN NOT NULL DEFAULT FALSE;

-- What each person allowed each app: the union of the scopes they approved.
CREATE TABLE consents (
    user_id    UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT   NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scopes     TEXT   NOT NULL, -- space-separated
    granted_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- Security-relevant events. Session ids appear only as digests; never a
-- password, token or secret.
CREATE TABLE audit_events (
    id         UUID    PRIMARY KEY NOT NULL,
    at         BIGINT NOT NULL,
    event      TEXT   NOT NULL,
    user_id    UUID,
    client_id  TEXT,
    session    TEXT,
    client_ip  TEXT,
    detail     TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_user ON audit_events (user_id, at);
