-- Lists that cost what they show, at a million users and ten million links, and the
-- history of every change. (migrations/sqlite/0003_scale.sql does the same.)

-- Search keys compare byte by byte (collation "C"), as on SQLite: a prefix is then a range
-- of an index, and both databases order lists the same way.
ALTER TABLE users ALTER COLUMN email TYPE TEXT COLLATE "C";
-- A user's name as lists sort and search it, lower-cased by the application.
ALTER TABLE users ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE users SET name_key = lower(display_name);
-- Serve the directory's search and sort by name, and search by email (stored lower-cased).
CREATE INDEX users_name_idx ON users (name_key, id);
CREATE INDEX users_email_idx ON users (email, id);
-- What a membership copies from its user; the foreign key below refers to it.
CREATE UNIQUE INDEX users_copy_key ON users (id, name_key, email);

-- Memberships carry a copy of their person's name key and email, so that a profile's list
-- is searched and sorted along the profile's own indexes instead of visiting every member.
-- The composite foreign key keeps the copy equal to the user's row and carries changes over.
ALTER TABLE memberships ADD COLUMN name_key TEXT COLLATE "C", ADD COLUMN email TEXT COLLATE "C";
UPDATE memberships m SET name_key = u.name_key, email = u.email FROM users u WHERE u.id = m.user_id;
ALTER TABLE memberships ALTER COLUMN name_key SET NOT NULL, ALTER COLUMN email SET NOT NULL;
ALTER TABLE memberships
    ADD CONSTRAINT memberships_user_copy_fkey FOREIGN KEY (user_id, name_key, email)
        REFERENCES users (id, name_key, email) ON DELETE CASCADE ON UPDATE CASCADE,
    DROP CONSTRAINT memberships_user_id_fkey;

-- A profile's people by "since" and by name, each access level apart, so that a filter on
-- access reads only matching rows; an unfiltered page merges the two levels.
DROP INDEX memberships_profile_since_idx;
CREATE INDEX memberships_since_idx ON memberships (profile_id, access, added_at, user_id);
CREATE INDEX memberships_name_idx ON memberships (profile_id, access, name_key, user_id);
-- A profile's people by email, for search.
CREATE INDEX memberships_email_idx ON memberships (profile_id, access, email);

-- A profile's name as lists sort and search it, lower-cased by the application.
ALTER TABLE profiles ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE profiles SET name_key = lower(name);
-- Serves the users directory in order of joining.
CREATE INDEX users_created_idx ON users (created_at, id);

-- Counts kept by triggers, so that no page counts the rows of a big list to show its total.
ALTER TABLE profiles ADD COLUMN manager_count BIGINT NOT NULL DEFAULT 0 CHECK (manager_count >= 0);
UPDATE profiles SET manager_count =
    (SELECT COUNT(*) FROM memberships m WHERE m.profile_id = profiles.id AND m.access = 'manager');
ALTER TABLE roles ADD COLUMN holder_count BIGINT NOT NULL DEFAULT 0 CHECK (holder_count >= 0);
UPDATE roles SET holder_count = (SELECT COUNT(*) FROM user_roles ur WHERE ur.role_id = roles.id);

CREATE TABLE tallies (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL CHECK (value >= 0)
);
INSERT INTO tallies (name, value) SELECT 'users', COUNT(*) FROM users;

CREATE FUNCTION users_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tallies SET value = value + CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END WHERE name = 'users';
    RETURN NULL;
END $$;
CREATE TRIGGER users_tally AFTER INSERT OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION users_tally();

CREATE OR REPLACE FUNCTION memberships_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE profiles SET member_count = member_count + 1,
                            manager_count = manager_count + (NEW.access = 'manager')::int
        WHERE id = NEW.profile_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE profiles SET member_count = member_count - 1,
                            manager_count = manager_count - (OLD.access = 'manager')::int
        WHERE id = OLD.profile_id;
    ELSIF OLD.access <> NEW.access THEN
        UPDATE profiles
        SET manager_count = manager_count + (NEW.access = 'manager')::int - (OLD.access = 'manager')::int
        WHERE id = NEW.profile_id;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER memberships_count ON memberships;
CREATE TRIGGER memberships_count AFTER INSERT OR DELETE OR UPDATE OF access ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_count();

CREATE FUNCTION user_roles_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE roles SET holder_count = holder_count + 1 WHERE id = NEW.role_id;
    ELSE
        UPDATE roles SET holder_count = holder_count - 1 WHERE id = OLD.role_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER user_roles_count AFTER INSERT OR DELETE ON user_roles
    FOR EACH ROW EXECUTE FUNCTION user_roles_count();

-- Every change to who is on a profile or holds a role, written by the same transaction as
-- the change. Rows are never updated or deleted. The subject ids are deliberately not
-- foreign keys: the record outlives what it describes, and ids are never reused.
CREATE TABLE history (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Who made the change; NULL for the system (the first backfill, the seed).
    actor_id      BIGINT,
    -- Whose access changed, and on which profile or role.
    user_id       BIGINT NOT NULL,
    profile_id    BIGINT,
    role_id       BIGINT,
    action        TEXT NOT NULL CHECK (action IN ('added', 'changed', 'removed', 'restored')),
    access_before TEXT CHECK (access_before IN ('manager', 'member')),
    access_after  TEXT CHECK (access_after IN ('manager', 'member')),
    -- The link's "since" and who made it, as they were: what an undo puts back.
    since         TIMESTAMPTZ,
    added_by      BIGINT,
    -- The removal this row undid; each removal is undone at most once.
    undo_of       BIGINT UNIQUE REFERENCES history (id),
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

CREATE FUNCTION history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'history_is_append_only';
END $$;
CREATE TRIGGER history_is_append_only BEFORE UPDATE OR DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION history_is_append_only();
CREATE TRIGGER history_is_append_only_truncate BEFORE TRUNCATE ON history
    FOR EACH STATEMENT EXECUTE FUNCTION history_is_append_only();

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
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    profile_id BIGINT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    created_by BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    kind       TEXT NOT NULL CHECK (kind IN ('add', 'remove', 'set_access')),
    access     TEXT CHECK (access IN ('manager', 'member')),
    items      TEXT NOT NULL,
    applied_at TIMESTAMPTZ,
    report     TEXT,
    CHECK ((kind = 'remove') = (access IS NULL)),
    CHECK ((applied_at IS NULL) = (report IS NULL))
);
-- Serves the sweep of old drafts.
CREATE INDEX bulk_changes_created_idx ON bulk_changes (created_at);
