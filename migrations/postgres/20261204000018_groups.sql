-- Groups of people: named, with members, carried in tokens (the `groups`
-- scope) and able to restrict an app to their members.
CREATE TABLE user_groups (
    id         UUID   PRIMARY KEY NOT NULL,
    name       TEXT   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE group_members (
    group_id UUID NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id);

-- An app with rows here admits only members of one of these groups.
CREATE TABLE client_access_groups (
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    group_id  UUID NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (client_id, group_id)
);

-- Apps allowed every scope about a person may also ask for `groups`.
UPDATE clients SET allowed_scopes = allowed_scopes || ' groups'
 WHERE (' ' || allowed_scopes || ' ') LIKE '% profile %'
   AND (' ' || allowed_scopes || ' ') LIKE '% email %'
   AND (' ' || allowed_scopes || ' ') NOT LIKE '% groups %';
