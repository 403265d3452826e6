-- Lists that cost what they show, at a million users and ten million links, and the
-- history of every change. (migrations/postgres/0003_scale.sql does the same.)

-- A user's name as lists sort and search it: lower-cased by the application, which folds
-- every alphabet (SQLite's lower() only folds ASCII, so this backfill is a first guess).
ALTER TABLE users ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE users SET name_key = lower(display_name);
-- Serve the directory's search and sort by name, and search by email (stored lower-cased).
CREATE INDEX users_name_idx ON users (name_key, id);
CREATE INDEX users_email_idx ON users (email, id);
-- What a membership copies from its user; the foreign key below refers to it.
CREATE UNIQUE INDEX users_copy_key ON users (id, name_key, email);

-- Memberships carry a copy of their person's name key and email, so that a profile's list
-- is searched and sorted along the profile's own indexes instead of visiting every member.
-- The composite foreign key keeps the copy equal to the user's row and carries changes over.
-- SQLite can't add a table constraint, so the table is rebuilt.
CREATE TABLE memberships_new (
    profile_id INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    access     TEXT NOT NULL CHECK (access IN ('manager', 'member')),
    added_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    added_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    name_key   TEXT NOT NULL,
    email      TEXT NOT NULL,
    PRIMARY KEY (profile_id, user_id),
    FOREIGN KEY (user_id, name_key, email) REFERENCES users (id, name_key, email)
        ON DELETE CASCADE ON UPDATE CASCADE
) WITHOUT ROWID;
INSERT INTO memberships_new (profile_id, user_id, access, added_at, added_by, name_key, email)
    SELECT m.profile_id, m.user_id, m.access, m.added_at, m.added_by, u.name_key, u.email
    FROM memberships m JOIN users u ON u.id = m.user_id;
DROP TABLE memberships;
ALTER TABLE memberships_new RENAME TO memberships;

-- "This user's profiles" (the primary key serves "this profile's people").
CREATE INDEX memberships_user_idx ON memberships (user_id, profile_id);
-- A profile's people by "since" and by name, each access level apart, so that a filter on
-- access reads only matching rows; an unfiltered page merges the two levels.
CREATE INDEX memberships_since_idx ON memberships (profile_id, access, added_at, user_id);
CREATE INDEX memberships_name_idx ON memberships (profile_id, access, name_key, user_id);
-- A profile's people by email, for search.
CREATE INDEX memberships_email_idx ON memberships (profile_id, access, email);

-- A profile's name as lists sort and search it, lower-cased by the application.
ALTER TABLE profiles ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE profiles SET name_key = lower(name);
-- Serves the users directory in order of joining.
CREATE INDEX users_created_idx ON users (created_at, id);

-- Counts kept by triggers, so that no page counts the rows of a big list to show its total.
ALTER TABLE profiles ADD COLUMN manager_count INTEGER NOT NULL DEFAULT 0 CHECK (manager_count >= 0);
UPDATE profiles SET manager_count =
    (SELECT COUNT(*) FROM memberships m WHERE m.profile_id = profiles.id AND m.access = 'manager');
ALTER TABLE roles ADD COLUMN holder_count INTEGER NOT NULL DEFAULT 0 CHECK (holder_count >= 0);
UPDATE roles SET holder_count = (SELECT COUNT(*) FROM user_roles ur WHERE ur.role_id = roles.id);

CREATE TABLE tallies (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL CHECK (value >= 0)
);
INSERT INTO tallies (name, value) SELECT 'users', COUNT(*) FROM users;

CREATE TRIGGER users_tally_insert AFTER INSERT ON users
BEGIN
    UPDATE tallies SET value = value + 1 WHERE name = 'users';
END;

CREATE TRIGGER users_tally_delete AFTER DELETE ON users
BEGIN
    UPDATE tallies SET value = value - 1 WHERE name = 'users';
END;

CREATE TRIGGER memberships_count_insert AFTER INSERT ON memberships
BEGIN
    UPDATE profiles SET member_count = member_count + 1,
                        manager_count = manager_count + (NEW.access = 'manager')
    WHERE id = NEW.profile_id;
END;

CREATE TRIGGER memberships_count_delete AFTER DELETE ON memberships
BEGIN
    UPDATE profiles SET member_count = member_count - 1,
                        manager_count = manager_count - (OLD.access = 'manager')
    WHERE id = OLD.profile_id;
END;

CREATE TRIGGER memberships_count_update AFTER UPDATE OF access ON memberships
WHEN OLD.access <> NEW.access
BEGIN
    UPDATE profiles SET manager_count = manager_count + (NEW.access = 'manager') - (OLD.access = 'manager')
    WHERE id = NEW.profile_id;
END;

CREATE TRIGGER user_roles_count_insert AFTER INSERT ON user_roles
BEGIN
    UPDATE roles SET holder_count = holder_count + 1 WHERE id = NEW.role_id;
END;

CREATE TRIGGER user_roles_count_delete AFTER DELETE ON user_roles
BEGIN
    UPDATE roles SET holder_count = holder_count - 1 WHERE id = OLD.role_id;
END;

-- The rebuilt table needs its rules again (0002_rules.sql has why).
CREATE TRIGGER memberships_keep_a_manager_delete BEFORE DELETE ON memberships
WHEN OLD.access = 'manager'
    AND EXISTS (SELECT 1 FROM profiles WHERE id = OLD.profile_id)
    AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id)
    AND NOT EXISTS (SELECT 1 FROM memberships
                    WHERE profile_id = OLD.profile_id AND access = 'manager' AND user_id <> OLD.user_id)
BEGIN
    SELECT RAISE(ABORT, 'profile_needs_a_manager');
END;

CREATE TRIGGER memberships_keep_a_manager_update BEFORE UPDATE OF access ON memberships
WHEN OLD.access = 'manager' AND NEW.access <> 'manager'
    AND NOT EXISTS (SELECT 1 FROM memberships
                    WHERE profile_id = OLD.profile_id AND access = 'manager' AND user_id <> OLD.user_id)
BEGIN
    SELECT RAISE(ABORT, 'profile_needs_a_manager');
END;

-- Every change to who is on a profile or holds a role, written by the same transaction as
-- the change. Rows are never updated or deleted. The subject ids are deliberately not
-- foreign keys: the record outlives what it describes, and ids are never reused.
CREATE TABLE history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- Who made the change; NULL for the system (the first backfill, the seed).
    actor_id      INTEGER,
    -- Whose access changed, and on which profile or role.
    user_id       INTEGER NOT NULL,
    profile_id    INTEGER,
    role_id       INTEGER,
    action        TEXT NOT NULL CHECK (action IN ('added', 'changed', 'removed', 'restored')),
    access_before TEXT CHECK (access_before IN ('manager', 'member')),
    access_after  TEXT CHECK (access_after IN ('manager', 'member')),
    -- The link's "since" and who made it, as they were: what an undo puts back.
    since         TEXT,
    added_by      INTEGER,
    -- The removal this row undid; each removal is undone at most once.
    undo_of       INTEGER UNIQUE REFERENCES history (id),
    CHECK ((profile_id IS NULL) <> (role_id IS NULL)),
    CHECK (CASE
        WHEN role_id IS NOT NULL THEN access_before IS NULL AND access_after IS NULL
            AND action IN ('added', 'removed')
        WHEN action IN ('added', 'restored') THEN access_before IS NULL AND access_after IS NOT NULL
        WHEN action = 'removed' THEN access_before IS NOT NULL AND access_after IS NULL
        ELSE access_before IS NOT NULL AND access_after IS NOT NULL AND access_before <> access_after
    END),
    CHECK ((undo_of IS NOT NULL) = (action = 'restored'))
);
-- A profile's history, newest first; a person's state on a profile at a moment; a user's
-- history; a role's history.
CREATE INDEX history_profile_idx ON history (profile_id, id) WHERE profile_id IS NOT NULL;
CREATE INDEX history_profile_user_idx ON history (profile_id, user_id, id) WHERE profile_id IS NOT NULL;
CREATE INDEX history_user_idx ON history (user_id, id);
CREATE INDEX history_role_idx ON history (role_id, id) WHERE role_id IS NOT NULL;

CREATE TRIGGER history_is_append_only_update BEFORE UPDATE ON history
BEGIN
    SELECT RAISE(ABORT, 'history_is_append_only');
END;

CREATE TRIGGER history_is_append_only_delete BEFORE DELETE ON history
BEGIN
    SELECT RAISE(ABORT, 'history_is_append_only');
END;

-- What existed before history was kept counts as added when it was made.
INSERT INTO history (at, actor_id, user_id, profile_id, action, access_after, since, added_by)
    SELECT added_at, added_by, user_id, profile_id, 'added', access, added_at, added_by
    FROM memberships ORDER BY added_at, profile_id, user_id;
INSERT INTO history (at, user_id, role_id, action, since)
    SELECT assigned_at, user_id, role_id, 'added', assigned_at FROM user_roles ORDER BY assigned_at;

-- Bulk changes wait here between their preview and their application, so that both work
-- as plain forms: the preview is a page with an address. `items` holds the pasted emails
-- or the chosen user ids, one per line; `report` the outcome, once applied.
CREATE TABLE bulk_changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    created_by INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    kind       TEXT NOT NULL CHECK (kind IN ('add', 'remove', 'set_access')),
    access     TEXT CHECK (access IN ('manager', 'member')),
    items      TEXT NOT NULL,
    applied_at TEXT,
    report     TEXT,
    CHECK ((kind = 'remove') = (access IS NULL)),
    CHECK ((applied_at IS NULL) = (report IS NULL))
);
-- Serves the sweep of old drafts.
CREATE INDEX bulk_changes_created_idx ON bulk_changes (created_at);
