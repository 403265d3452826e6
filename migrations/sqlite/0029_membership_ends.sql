-- Memberships that end: a manager may give a membership an end date, from which it grants
-- nothing (access checks compare it with the clock). The sweeper then takes the row off the
-- profile and records the expiry in history at the moment it ended, and mails a notice a
-- week before. (migrations/postgres/0029_membership_ends.sql keeps the same rules.)
ALTER TABLE memberships ADD COLUMN ends_at TEXT CHECK (ends_at IS NULL OR ends_at > added_at);
-- When the week's notice went out for the current end date; a new end date clears it.
ALTER TABLE memberships ADD COLUMN end_notice_at TEXT;
-- The sweep's walk through ends, and the notices' walk through the coming week; and the
-- ends of one profile's memberships or one person's, settled before a change to them.
CREATE INDEX memberships_ends_idx ON memberships (ends_at) WHERE ends_at IS NOT NULL;
CREATE INDEX memberships_profile_ends_idx ON memberships (profile_id, ends_at) WHERE ends_at IS NOT NULL;
CREATE INDEX memberships_user_ends_idx ON memberships (user_id, ends_at) WHERE ends_at IS NOT NULL;

-- A profile always keeps a manager whose access doesn't end: managers with end dates would
-- otherwise leave it without one, in time. So the last manager without an end date can't be
-- removed, demoted or given an end date (0003_scale.sql had the rule count every manager).
DROP TRIGGER memberships_keep_a_manager_delete;
DROP TRIGGER memberships_keep_a_manager_update;

CREATE TRIGGER memberships_keep_a_manager_delete BEFORE DELETE ON memberships
WHEN OLD.access = 'manager' AND OLD.ends_at IS NULL
    AND EXISTS (SELECT 1 FROM profiles WHERE id = OLD.profile_id)
    AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id)
    AND NOT EXISTS (SELECT 1 FROM memberships
                    WHERE profile_id = OLD.profile_id AND access = 'manager' AND ends_at IS NULL
                      AND user_id <> OLD.user_id)
BEGIN
    SELECT RAISE(ABORT, 'profile_needs_a_manager');
END;

CREATE TRIGGER memberships_keep_a_manager_update BEFORE UPDATE OF access, ends_at ON memberships
WHEN OLD.access = 'manager' AND OLD.ends_at IS NULL
    AND (NEW.access <> 'manager' OR NEW.ends_at IS NOT NULL)
    AND NOT EXISTS (SELECT 1 FROM memberships
                    WHERE profile_id = OLD.profile_id AND access = 'manager' AND ends_at IS NULL
                      AND user_id <> OLD.user_id)
BEGIN
    SELECT RAISE(ABORT, 'profile_needs_a_manager');
END;

-- An entry that records a membership's end: a removal by no one, at the moment it ended.
ALTER TABLE history ADD COLUMN expired INTEGER NOT NULL DEFAULT 0
    CHECK (expired IN (0, 1) AND (expired = 0 OR (action = 'removed' AND actor_id IS NULL)));

-- Every end date set, moved or cleared, by whom and when: the record of extensions that
-- history's access levels don't hold. Append-only, and like history its ids are not
-- foreign keys, so the record outlives what it describes.
CREATE TABLE end_date_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    actor_id    INTEGER,
    profile_id  INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    ends_before TEXT,
    ends_after  TEXT,
    CHECK (ends_before IS NOT ends_after)
);
CREATE INDEX end_date_changes_profile_idx ON end_date_changes (profile_id, id);
CREATE INDEX end_date_changes_user_idx ON end_date_changes (user_id, id);

CREATE TRIGGER end_date_changes_append_only_update BEFORE UPDATE ON end_date_changes
BEGIN
    SELECT RAISE(ABORT, 'history_is_append_only');
END;

CREATE TRIGGER end_date_changes_append_only_delete BEFORE DELETE ON end_date_changes
BEGIN
    SELECT RAISE(ABORT, 'history_is_append_only');
END;

-- The end of the membership an invitation offers; the link stops working by then at the latest.
ALTER TABLE invitations ADD COLUMN membership_ends_at TEXT
    CHECK (membership_ends_at IS NULL OR expires_at <= membership_ends_at);
