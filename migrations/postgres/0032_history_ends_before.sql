-- The end date a removed membership had, so that undoing the removal puts it back as it
-- was, end and all, and never longer. (migrations/sqlite/0032 keeps the same rule.)
ALTER TABLE history ADD COLUMN ends_before TIMESTAMPTZ CHECK (ends_before IS NULL OR action = 'removed');
