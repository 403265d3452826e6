-- Rules the data keeps whatever the application does, and counts it keeps for free.
-- Each RAISE names the rule it guards; src/server/db.rs maps those names to user errors.
-- (migrations/postgres/0002_rules.sql keeps the same rules.)

-- How many people are on a profile, kept by triggers, so that no page counts the rows of a
-- big profile to show it.
ALTER TABLE profiles ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0 CHECK (member_count >= 0);
UPDATE profiles SET member_count = (SELECT COUNT(*) FROM memberships m WHERE m.profile_id = profiles.id);

CREATE TRIGGER memberships_count_insert AFTER INSERT ON memberships
BEGIN
    UPDATE profiles SET member_count = member_count + 1 WHERE id = NEW.profile_id;
END;

CREATE TRIGGER memberships_count_delete AFTER DELETE ON memberships
BEGIN
    UPDATE profiles SET member_count = member_count - 1 WHERE id = OLD.profile_id;
END;

-- A profile always keeps at least one manager. Removing or demoting its last manager is
-- refused; deleting the profile itself, or the person's whole account, is not.
-- SQLite runs one writer at a time, so two removals can't both see "another manager left".
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

-- The admin role is how Roster is administered: it can't be deleted or renamed...
CREATE TRIGGER roles_admin_is_permanent_delete BEFORE DELETE ON roles
WHEN OLD.name = 'admin'
BEGIN
    SELECT RAISE(ABORT, 'admin_role_is_permanent');
END;

CREATE TRIGGER roles_admin_is_permanent_update BEFORE UPDATE OF name ON roles
WHEN OLD.name = 'admin' AND NEW.name <> 'admin'
BEGIN
    SELECT RAISE(ABORT, 'admin_role_is_permanent');
END;

-- ...and its last holder can't lose it, unless their whole account goes.
CREATE TRIGGER user_roles_keep_an_admin BEFORE DELETE ON user_roles
WHEN OLD.role_id = (SELECT id FROM roles WHERE name = 'admin')
    AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id)
    AND NOT EXISTS (SELECT 1 FROM user_roles WHERE role_id = OLD.role_id AND user_id <> OLD.user_id)
BEGIN
    SELECT RAISE(ABORT, 'last_admin');
END;

-- Serves a profile's member list in "since" order, the order its pages use.
CREATE INDEX memberships_profile_since_idx ON memberships (profile_id, added_at, user_id);
-- Serves a role's holders in the order they were granted it.
CREATE INDEX user_roles_role_since_idx ON user_roles (role_id, assigned_at, user_id);
