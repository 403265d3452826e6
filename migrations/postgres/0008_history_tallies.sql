-- A history's totals, kept as it grows: how many entries each profile and each person has of
-- each kind of change. A history page reads its exact total from here, a few rows, instead of
-- counting entries, which grow without end. (A search still counts its matches, to 1,000.)
-- History is append-only, so entries are only ever added. A change locks its profile's row
-- here after the profile's own row (the member counts), so profile rows add no new waits;
-- a bulk change writes its entries in person order, so two of them lock people's rows in
-- the same order. (migrations/sqlite/0008_history_tallies.sql does the same.)
CREATE TABLE history_tallies (
    subject    TEXT NOT NULL CHECK (subject IN ('profile', 'user')),
    subject_id BIGINT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('added', 'changed', 'removed', 'restored')),
    entries    BIGINT NOT NULL CHECK (entries > 0),
    PRIMARY KEY (subject, subject_id, action)
);

INSERT INTO history_tallies (subject, subject_id, action, entries)
    SELECT 'profile', profile_id, action, COUNT(*) FROM history
    WHERE profile_id IS NOT NULL GROUP BY profile_id, action;
INSERT INTO history_tallies (subject, subject_id, action, entries)
    SELECT 'user', user_id, action, COUNT(*) FROM history GROUP BY user_id, action;

CREATE FUNCTION history_tallies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.profile_id IS NOT NULL THEN
        INSERT INTO history_tallies (subject, subject_id, action, entries)
            VALUES ('profile', NEW.profile_id, NEW.action, 1)
            ON CONFLICT (subject, subject_id, action) DO UPDATE SET entries = history_tallies.entries + 1;
    END IF;
    INSERT INTO history_tallies (subject, subject_id, action, entries)
        VALUES ('user', NEW.user_id, NEW.action, 1)
        ON CONFLICT (subject, subject_id, action) DO UPDATE SET entries = history_tallies.entries + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER history_tallies AFTER INSERT ON history FOR EACH ROW EXECUTE FUNCTION history_tallies();
