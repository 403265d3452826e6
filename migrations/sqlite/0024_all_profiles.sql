-- Admins list every profile, by name or by when it was made, a page at a time: each order
-- along its own index, and the total from a tally the triggers keep, as for users.
CREATE INDEX profiles_name_idx ON profiles (name_key, id);
CREATE INDEX profiles_created_idx ON profiles (created_at, id);
INSERT INTO tallies (name, value) SELECT 'profiles', COUNT(*) FROM profiles;

CREATE TRIGGER profiles_tally_insert AFTER INSERT ON profiles
BEGIN
    UPDATE tallies SET value = value + 1 WHERE name = 'profiles';
END;

CREATE TRIGGER profiles_tally_delete AFTER DELETE ON profiles
BEGIN
    UPDATE tallies SET value = value - 1 WHERE name = 'profiles';
END;
