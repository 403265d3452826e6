-- Roster's schema on SQLite. migrations/postgres/0001_schema.sql has the same semantics.
-- Timestamps are UTC ISO-8601 text of fixed width, so text order is time order.
-- AUTOINCREMENT keeps ids from ever being reused after a delete.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    display_name  TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
-- One account per address whatever its case; the app also stores addresses lower-cased.
CREATE UNIQUE INDEX users_email_key ON users (email COLLATE NOCASE);

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO roles (name, description) VALUES ('admin', 'Sees and changes everything.');

-- Who holds which role. The primary key makes a duplicate grant impossible; deleting a user
-- or a role removes its grants.
CREATE TABLE user_roles (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id     INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    assigned_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (user_id, role_id)
) WITHOUT ROWID;
-- Serves "who holds this role" (the primary key serves "this user's roles").
CREATE INDEX user_roles_role_idx ON user_roles (role_id, user_id);

CREATE TABLE profiles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- A profile outlives the account that created it.
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL
);

-- The association object between users and profiles: one row per person on a profile,
-- carrying in what capacity, since when and who added them.
CREATE TABLE memberships (
    profile_id INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    access     TEXT NOT NULL CHECK (access IN ('manager', 'member')),
    added_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- The link stays when the person who made it leaves.
    added_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (profile_id, user_id)
) WITHOUT ROWID;
-- Serves "this user's profiles" (the primary key serves "this profile's people").
CREATE INDEX memberships_user_idx ON memberships (user_id, profile_id);

-- Signed-in sessions. The id is the SHA-256 of the cookie's token, so a copy of this table
-- cannot be replayed as cookies. Times are Unix seconds: compared, never shown.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    CHECK (created_at <= last_seen_at AND last_seen_at <= expires_at)
) WITHOUT ROWID;
-- Serves "end this user's sessions" and the cascade from users.
CREATE INDEX sessions_user_idx ON sessions (user_id);
-- Serves the sweep of expired sessions.
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
