-- The counts kept by triggers (0002, 0003, 0008) are now kept once per statement, from the
-- statement's transition tables, instead of once per row.
--
-- Why: on PostgreSQL every UPDATE writes a new version of its row, and the versions one
-- transaction writes stay until it ends. A count bumped once per row made one row of
-- `profiles` or `history_tallies` grow a chain of versions as long as the change, and each
-- bump walked that chain: a bulk add of 10,000 people to one profile took 2.6 s instead of
-- 0.23 s, and writing their 10,000 history entries 1.6 s instead of 0.12 s (BENCHMARKS.md).
-- Now a statement bumps each count once, by the number of its rows that concern it.
--
-- Locks are taken as before, at the end of the statement and in a fixed order: a profile's
-- row, then history_tallies' profile rows, then its people's rows, each set by id.
-- (SQLite updates a row in place and keeps its per-row triggers.)

DROP TRIGGER users_tally ON users;
DROP FUNCTION users_tally();
CREATE FUNCTION users_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta BIGINT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT COUNT(*) INTO delta FROM added;
    ELSE
        SELECT -COUNT(*) INTO delta FROM removed;
    END IF;
    IF delta <> 0 THEN
        UPDATE tallies SET value = value + delta WHERE name = 'users';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER users_tally_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION users_tally();
CREATE TRIGGER users_tally_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION users_tally();

-- A statement's changes to memberships, summed per profile and applied in profile order.
-- An UPDATE trigger with transition tables can't name its columns, so every update comes
-- here, and only a change of access counts.
DROP TRIGGER memberships_count ON memberships;
DROP FUNCTION memberships_count();
CREATE FUNCTION memberships_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d RECORD;
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR d IN SELECT profile_id, COUNT(*) AS people, COUNT(*) FILTER (WHERE access = 'manager') AS managers
                 FROM added GROUP BY profile_id ORDER BY profile_id LOOP
            UPDATE profiles SET member_count = member_count + d.people, manager_count = manager_count + d.managers
            WHERE id = d.profile_id;
        END LOOP;
    ELSIF TG_OP = 'DELETE' THEN
        FOR d IN SELECT profile_id, COUNT(*) AS people, COUNT(*) FILTER (WHERE access = 'manager') AS managers
                 FROM removed GROUP BY profile_id ORDER BY profile_id LOOP
            UPDATE profiles SET member_count = member_count - d.people, manager_count = manager_count - d.managers
            WHERE id = d.profile_id;
        END LOOP;
    ELSE
        FOR d IN SELECT n.profile_id, SUM((n.access = 'manager')::int - (o.access = 'manager')::int) AS managers
                 FROM added n JOIN removed o USING (profile_id, user_id)
                 WHERE n.access <> o.access GROUP BY n.profile_id ORDER BY n.profile_id LOOP
            CONTINUE WHEN d.managers = 0;
            UPDATE profiles SET manager_count = manager_count + d.managers WHERE id = d.profile_id;
        END LOOP;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER memberships_count_insert AFTER INSERT ON memberships
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION memberships_count();
CREATE TRIGGER memberships_count_delete AFTER DELETE ON memberships
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION memberships_count();
CREATE TRIGGER memberships_count_update AFTER UPDATE ON memberships
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION memberships_count();

DROP TRIGGER user_roles_count ON user_roles;
DROP FUNCTION user_roles_count();
CREATE FUNCTION user_roles_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d RECORD;
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR d IN SELECT role_id, COUNT(*) AS holders FROM added GROUP BY role_id ORDER BY role_id LOOP
            UPDATE roles SET holder_count = holder_count + d.holders WHERE id = d.role_id;
        END LOOP;
    ELSE
        FOR d IN SELECT role_id, COUNT(*) AS holders FROM removed GROUP BY role_id ORDER BY role_id LOOP
            UPDATE roles SET holder_count = holder_count - d.holders WHERE id = d.role_id;
        END LOOP;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER user_roles_count_insert AFTER INSERT ON user_roles
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION user_roles_count();
CREATE TRIGGER user_roles_count_delete AFTER DELETE ON user_roles
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION user_roles_count();

-- A multi-row upsert can't touch one row twice, so the entries are grouped first; it takes
-- its rows' locks in the order it writes them, profiles before people, each by id.
DROP TRIGGER history_tallies ON history;
DROP FUNCTION history_tallies();
CREATE FUNCTION history_tallies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO history_tallies (subject, subject_id, action, entries)
        SELECT subject, subject_id, action, entries FROM (
            SELECT 'profile' AS subject, 0 AS rank, profile_id AS subject_id, action, COUNT(*) AS entries
            FROM added WHERE profile_id IS NOT NULL GROUP BY profile_id, action
            UNION ALL
            SELECT 'user', 1, user_id, action, COUNT(*) FROM added GROUP BY user_id, action
        ) d
        ORDER BY rank, subject_id, action
        ON CONFLICT (subject, subject_id, action) DO UPDATE SET entries = history_tallies.entries + EXCLUDED.entries;
    RETURN NULL;
END $$;
CREATE TRIGGER history_tallies AFTER INSERT ON history
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION history_tallies();
