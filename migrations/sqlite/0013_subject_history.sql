-- What happened to the roles and profiles themselves: created, renamed, described, deleted.
-- (Who joined or left them, and who gained or lost a role, is in `history`.) Each row is
-- written in the transaction of its change. No foreign keys: a deleted role's or profile's
-- record outlives it, as its `history` does.
CREATE TABLE subject_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- Who made the change; NULL for the command line.
    actor_id   INTEGER,
    profile_id INTEGER,
    role_id    INTEGER,
    action     TEXT NOT NULL CHECK (action IN ('created', 'renamed', 'described', 'deleted')),
    -- The name (or, for 'described', the description) before and after.
    old_value  TEXT,
    new_value  TEXT,
    CHECK ((profile_id IS NULL) <> (role_id IS NULL)),
    CHECK (CASE action
        WHEN 'created' THEN old_value IS NULL AND new_value IS NOT NULL
        WHEN 'deleted' THEN old_value IS NOT NULL AND new_value IS NULL
        ELSE old_value IS NOT NULL AND new_value IS NOT NULL
    END)
);
-- A role's or a profile's changes, newest first.
CREATE INDEX subject_history_role_idx ON subject_history (role_id, id) WHERE role_id IS NOT NULL;
CREATE INDEX subject_history_profile_idx ON subject_history (profile_id, id) WHERE profile_id IS NOT NULL;
