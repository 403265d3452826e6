-- Rules the data keeps whatever the application does, and counts it keeps for free.
-- Each guard raises check_violation with CONSTRAINT set to the rule's name; src/server/db.rs
-- maps those names to user errors. (migrations/sqlite/0002_rules.sql keeps the same rules.)

-- How many people are on a profile, kept by triggers, so that no page counts the rows of a
-- big profile to show it.
ALTER TABLE profiles ADD COLUMN member_count BIGINT NOT NULL DEFAULT 0 CHECK (member_count >= 0);
UPDATE profiles SET member_count = (SELECT COUNT(*) FROM memberships m WHERE m.profile_id = profiles.id);

CREATE FUNCTION memberships_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE profiles SET member_count = member_count + 1 WHERE id = NEW.profile_id;
        RETURN NEW;
    END IF;
    UPDATE profiles SET member_count = member_count - 1 WHERE id = OLD.profile_id;
    RETURN OLD;
END $$;

CREATE TRIGGER memberships_count AFTER INSERT OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_count();

-- A profile always keeps at least one manager. Removing or demoting its last manager is
-- refused; deleting the profile itself, or the person's whole account, is not.
-- Concurrent changes to one profile's managers queue on the profile's row, and the check
-- then runs on a fresh snapshot, so two managers removing each other can't both succeed.
CREATE FUNCTION memberships_keep_a_manager() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.access = 'manager' AND (TG_OP = 'DELETE' OR NEW.access <> 'manager') THEN
        PERFORM 1 FROM profiles WHERE id = OLD.profile_id FOR UPDATE;
        IF FOUND
            AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id)
            AND NOT EXISTS (SELECT 1 FROM memberships
                            WHERE profile_id = OLD.profile_id AND access = 'manager'
                              AND user_id <> OLD.user_id)
        THEN
            RAISE EXCEPTION 'a profile needs at least one manager'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'profile_needs_a_manager';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER memberships_keep_a_manager BEFORE DELETE OR UPDATE OF access ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_keep_a_manager();

-- The admin role is how Roster is administered: it can't be deleted or renamed...
CREATE FUNCTION roles_admin_is_permanent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.name = 'admin' AND (TG_OP = 'DELETE' OR NEW.name <> 'admin') THEN
        RAISE EXCEPTION 'the admin role cannot be deleted or renamed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'admin_role_is_permanent';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER roles_admin_is_permanent BEFORE DELETE OR UPDATE OF name ON roles
    FOR EACH ROW EXECUTE FUNCTION roles_admin_is_permanent();

-- ...and its last holder can't lose it, unless their whole account goes. Concurrent
-- revocations queue on the admin role's row, as above.
CREATE FUNCTION user_roles_keep_an_admin() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM roles WHERE id = OLD.role_id AND name = 'admin' FOR UPDATE;
    IF FOUND
        AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id)
        AND NOT EXISTS (SELECT 1 FROM user_roles WHERE role_id = OLD.role_id AND user_id <> OLD.user_id)
    THEN
        RAISE EXCEPTION 'the last admin cannot lose the admin role'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'last_admin';
    END IF;
    RETURN OLD;
END $$;

CREATE TRIGGER user_roles_keep_an_admin BEFORE DELETE ON user_roles
    FOR EACH ROW EXECUTE FUNCTION user_roles_keep_an_admin();

-- Serves a profile's member list in "since" order, the order its pages use.
CREATE INDEX memberships_profile_since_idx ON memberships (profile_id, added_at, user_id);
-- Serves a role's holders in the order they were granted it.
CREATE INDEX user_roles_role_since_idx ON user_roles (role_id, assigned_at, user_id);
