-- Timestamps are Unix seconds; UUIDs are native.
CREATE TABLE users (
    id             UUID    PRIMARY KEY NOT NULL,
    username       TEXT    NOT NULL UNIQUE,
    email          TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    display_name   TEXT,
    password_hash  TEXT    NOT NULL, -- argon2id PHC string
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);

CREATE TABLE clients (
    client_id                  TEXT   PRIMARY KEY NOT NULL,
    secret_hash                TEXT,            -- SHA-256 of the 256-bit secret; NULL for public clients
    client_type                TEXT   NOT NULL, -- public | confidential
    token_endpoint_auth_method TEXT   NOT NULL,
    name                       TEXT   NOT NULL,
    redirect_uris              TEXT   NOT NULL, -- JSON array
    post_logout_redirect_uris  TEXT   NOT NULL, -- JSON array
    allowed_scopes             TEXT   NOT NULL, -- space-separated
    grant_types                TEXT   NOT NULL, -- space-separated
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL
);
