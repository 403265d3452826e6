-- The end date a removed membership had, so that undoing the removal puts it back as it
-- was, end and all, and never longer. (migrations/postgres/0032 keeps the same rule.)
--
-- Only a removal has one. A CHECK on the new column would make SQLite read every existing
-- entry to test it (two minutes at ten million); history only ever grows, so a trigger on
-- insert holds the same rule at once.
ALTER TABLE history ADD COLUMN ends_before TEXT;

CREATE TRIGGER history_ends_before_only_on_removals BEFORE INSERT ON history
WHEN NEW.ends_before IS NOT NULL AND NEW.action <> 'removed'
BEGIN
    SELECT RAISE(ABORT, 'ends_before_only_on_removals');
END;
