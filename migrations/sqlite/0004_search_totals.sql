-- Searches read a name arm and an email arm. The email arm leaves out people whose name
-- matches too (they are the name arm's), so it needs each row's name key: with it in the
-- email indexes, both arms and the capped count read one index each and never the table.
DROP INDEX memberships_email_idx;
CREATE INDEX memberships_email_idx ON memberships (profile_id, access, email, name_key);
DROP INDEX users_email_idx;
CREATE INDEX users_email_idx ON users (email, name_key, id);
