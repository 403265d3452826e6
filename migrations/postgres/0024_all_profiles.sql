-- Admins list every profile, by name or by when it was made, a page at a time: each order
-- along its own index, and the total from a tally the triggers keep once per statement, as
-- for users (0010).
CREATE INDEX profiles_name_idx ON profiles (name_key, id);
CREATE INDEX profiles_created_idx ON profiles (created_at, id);
INSERT INTO tallies (name, value) SELECT 'profiles', COUNT(*) FROM profiles;

CREATE FUNCTION profiles_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta BIGINT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT COUNT(*) INTO delta FROM added;
    ELSE
        SELECT -COUNT(*) INTO delta FROM removed;
    END IF;
    IF delta <> 0 THEN
        UPDATE tallies SET value = value + delta WHERE name = 'profiles';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER profiles_tally_insert AFTER INSERT ON profiles
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION profiles_tally();
CREATE TRIGGER profiles_tally_delete AFTER DELETE ON profiles
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION profiles_tally();
