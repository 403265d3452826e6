-- Bulk changes that carry terms: an add may give everyone it adds one last day, and an
-- import (a CSV file of email, access and last day) gives each row its own, so it has no
-- access of its own. (migrations/postgres/0030_bulk_terms.sql keeps the same rules.)
-- SQLite can't change a CHECK, so the table of drafts is rebuilt; nothing refers to it.
CREATE TABLE bulk_changes_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    created_by INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    kind       TEXT NOT NULL CHECK (kind IN ('add', 'remove', 'set_access', 'import')),
    access     TEXT CHECK (access IN ('manager', 'member')),
    -- The end every person an add adds gets, if any.
    ends_at    TEXT,
    items      TEXT NOT NULL,
    applied_at TEXT,
    report     TEXT,
    CHECK ((kind IN ('remove', 'import')) = (access IS NULL)),
    CHECK (ends_at IS NULL OR kind = 'add'),
    CHECK ((applied_at IS NULL) = (report IS NULL))
);
INSERT INTO bulk_changes_new (id, profile_id, created_by, created_at, kind, access, items, applied_at, report)
    SELECT id, profile_id, created_by, created_at, kind, access, items, applied_at, report FROM bulk_changes;
-- History names bulk changes by id (history.bulk_id), so ids go on from where they were.
DELETE FROM sqlite_sequence WHERE name = 'bulk_changes_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'bulk_changes_new', seq FROM sqlite_sequence WHERE name = 'bulk_changes';
DROP TABLE bulk_changes;
ALTER TABLE bulk_changes_new RENAME TO bulk_changes;
CREATE INDEX bulk_changes_created_idx ON bulk_changes (created_at);
CREATE INDEX bulk_changes_creator_idx ON bulk_changes (created_by, applied_at);
