-- The end date a removed membership had, so that undoing the removal puts it back as it
-- was, end and all, and never longer. (migrations/postgres/0032 keeps the same rule.)
ALTER TABLE history ADD COLUMN ends_before TEXT CHECK (ends_before IS NULL OR action = 'removed');
