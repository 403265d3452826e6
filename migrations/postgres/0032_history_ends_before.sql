-- The end date a removed membership had, so that undoing the removal puts it back as it
-- was, end and all, and never longer. (migrations/sqlite/0032 keeps the same rule.)
--
-- Only a removal has one. Every existing entry has none, so the rule is added NOT VALID:
-- it holds for every entry from now on without reading the millions already there.
ALTER TABLE history ADD COLUMN ends_before TIMESTAMPTZ;
ALTER TABLE history ADD CONSTRAINT history_ends_before_only_on_removals
    CHECK (ends_before IS NULL OR action = 'removed') NOT VALID;
